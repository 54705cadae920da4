# Bulwark developer entry points. `make demo` and `make test` are the two commands the README promises;
# everything else is a building block of those two.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# onnxruntime-node's postinstall fetches GPU builds from a host CI cannot reach; the CPU binary is bundled.
export ONNXRUNTIME_NODE_INSTALL := skip
export npm_config_update_notifier := false

NODE_STAMP := node_modules/.bulwark-installed
TEST_DIRS := api operator sidecar shared cli test bench training
# Node 20's test runner takes no globs, so the file list is computed here.
TEST_FILES = $(shell find $(TEST_DIRS) -name '*.test.ts' -not -path '*/node_modules/*' 2>/dev/null | sort)
TEST_CONCURRENCY ?= 2

include $(sort $(wildcard mk/*.mk))

.PHONY: help deps build generate lint typecheck check test test-unit test-training demo clean

help: ## list targets
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | sort | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

deps: $(NODE_STAMP) ## install npm packages from the lockfile
$(NODE_STAMP): package-lock.json package.json
	npm ci --no-audit --no-fund
	@touch $@

build: deps ## compile TypeScript to dist/ (used by images and bin/bulwark.js)
	npx tsc -p tsconfig.build.json
	scripts/build/copy-runtime-assets.sh dist

generate: deps ## regenerate crds/ from the zod schemas in api/
	npx tsx api/generate.ts

lint: deps ## biome lint + format check
	npx biome check .

typecheck: deps ## tsc --noEmit over the whole tree, tests included
	npx tsc --noEmit -p .

check: lint typecheck ## static checks only

test: deps lint typecheck test-prereqs test-training ## the whole suite: static checks, unit, integration and e2e tests
	node --import tsx --test --test-concurrency=$(TEST_CONCURRENCY) $(TEST_FILES)

test-unit: deps ## unit tests only (no control plane)
	node --import tsx --test $(filter-out test/%,$(TEST_FILES))

# The training data builders that need no training venv (standard library, pip, PyYAML), with the machine's pytest.
test-training: ## unit tests of training/ (Python)
	cd training && $(MODEL_PYTHON) -m pytest -q -p no:cacheprovider tests

clean: ## remove build output (not the binary cache)
	rm -rf dist
