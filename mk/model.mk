# The default prompt-injection classifier: `make model` retrains models/$(MODEL_NAME)/ from the shared dataset
# with the pinned Python toolchain in training/; `make model-check` proves the shipped files are reproducible.
BULWARK_CACHE ?= $(HOME)/.cache/bulwark
MODEL_NAME := bulwark-injection-ngram-v1
MODEL_DIR := models/$(MODEL_NAME)
MODEL_PYTHON ?= python3
TRAIN_REQUIREMENTS := training/requirements.txt
# One venv per requirements file content, so a bump never reuses a stale environment.
TRAIN_VENV = $(BULWARK_CACHE)/venv-$(shell sha256sum $(TRAIN_REQUIREMENTS) | cut -c1-16)
TRAIN_PY = $(TRAIN_VENV)/bin/python
BULWARK_DATASET ?= $(abspath ../shared/datasets/all.jsonl)

.PHONY: model model-check model-venv policy-eval

model-venv: $(TRAIN_VENV)/.installed
$(TRAIN_VENV)/.installed: $(TRAIN_REQUIREMENTS)
	$(MODEL_PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "training needs Python 3.11"'
	rm -rf $(TRAIN_VENV)
	$(MODEL_PYTHON) -m venv $(TRAIN_VENV)
	$(TRAIN_PY) -m pip install --quiet --disable-pip-version-check --no-input -r $(TRAIN_REQUIREMENTS)
	$(TRAIN_PY) -m pip check
	@touch $@

model: model-venv ## retrain the default classifier into models/ (reproduces the shipped files)
	cd training && $(TRAIN_PY) -m bulwark_train --data $(BULWARK_DATASET) --out ../$(MODEL_DIR)
	cd training && $(TRAIN_PY) -m bulwark_train.fixtures ../$(MODEL_DIR) ../shared/classifier/testdata

model-check: model-venv ## retrain into a temp dir and compare with the shipped model (byte-for-byte or tolerance)
	cd training && $(TRAIN_PY) check_reproduce.py ../$(MODEL_DIR) --data $(BULWARK_DATASET)

policy-eval: model-venv ## re-measure the default policy on validation (policies/default.eval.json) and re-render the model card
	npx tsx scripts/model/default-policy-eval.ts $(BULWARK_DATASET)
	cd training && $(TRAIN_PY) -m bulwark_train.card ../$(MODEL_DIR)
	cd training && $(TRAIN_PY) -m bulwark_train.encoder.card ../$(ENCODER_DIR)

# The external check: prompts from PyPI packages (pinned) that neither model trains or tunes on, see
# training/bulwark_train/external.py. Written to the cache, never to the repository. The builder needs only
# the standard library, pip and PyYAML (the machine's Python, as test-training), and takes seconds, so the
# test suite builds it too: the test of policies/default.external.json then runs on every machine.
EXTERNAL_SET := $(BULWARK_CACHE)/external/external-v6.jsonl
EXTERNAL_SOURCES := $(addprefix training/bulwark_train/,external.py agentdojo.py agent_apps.py application_texts.py package_readmes.py pypi.py readmes.py user_prompts.py) \
	training/data/application-texts.heldout.jsonl training/data/pypi-readme-wheels.jsonl \
	training/data/user-prompts.heldout.jsonl

.PHONY: external-set external-eval

external-set: $(EXTERNAL_SET) ## fetch and build the external check set ($(EXTERNAL_SET))
$(EXTERNAL_SET): $(EXTERNAL_SOURCES)
	cd training && BULWARK_CACHE=$(BULWARK_CACHE) $(MODEL_PYTHON) -m bulwark_train.external $(EXTERNAL_SET)

test-prereqs: external-set

external-eval: external-set model-venv ## the default policy on the external set (policies/default.external.json), cards re-rendered
	npx tsx scripts/model/default-policy-eval.ts $(EXTERNAL_SET) external
	cd training && $(TRAIN_PY) -m bulwark_train.card ../$(MODEL_DIR)
	cd training && $(TRAIN_PY) -m bulwark_train.encoder.card ../$(ENCODER_DIR)

# The second stage of the default cascade (a fine-tuned MiniLM); about 35 minutes on two cores, so it has
# its own targets and the test suite only checks the shipped files.
ENCODER_NAME := bulwark-injection-minilm-v1
ENCODER_DIR := models/$(ENCODER_NAME)

.PHONY: model-encoder model-encoder-check model-encoder-loso

model-encoder: model-venv ## retrain the cascade's second-stage model into models/ (about 35 min on 2 cores)
	cd training && $(TRAIN_PY) -m bulwark_train.encoder --data $(BULWARK_DATASET) --out ../$(ENCODER_DIR) \
		--golden ../shared/classifier/testdata/golden-minilm.json

# Source files the second stage's card reports leave-one-source-out figures for (one fit each, ~25-50 min).
LOSO_SOURCES ?= deepset_prompt_injections awesome_chatgpt_prompts_2026 garak_latent_injection t0_reading_comprehension \
	verazuo_inthewild_jailbreaks gpteacher_roleplay selfinstruct_instructions gpteacher_codegen pallms_prompt_injection

model-encoder-loso: model-venv ## refit the second stage without each of LOSO_SOURCES and score that source (loso.json)
	cd training && $(TRAIN_PY) -m bulwark_train.encoder.loso --data $(BULWARK_DATASET) \
		--out ../$(ENCODER_DIR)/loso.json $(addprefix --held-out ,$(LOSO_SOURCES))
	cd training && $(TRAIN_PY) -m bulwark_train.encoder.card ../$(ENCODER_DIR)

model-encoder-check: model-venv ## retrain the second-stage model into a temp dir and compare with the shipped one
	cd training && $(TRAIN_PY) check_reproduce.py ../$(ENCODER_DIR) --module bulwark_train.encoder --data $(BULWARK_DATASET)
