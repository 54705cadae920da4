# Each area adds what its tests need (binaries, a running control plane, a model) as a prerequisite here.
.PHONY: test-prereqs
test-prereqs:
