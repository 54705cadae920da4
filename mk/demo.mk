.PHONY: demo
demo: deps binaries ## the main job: local control plane + operator + guard, benign and malicious prompts (ARGS=--cluster=external)
	node --import tsx scripts/demo/run.ts $(ARGS)
