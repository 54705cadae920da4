# The local control plane: real upstream Kubernetes programs built from pinned sources and run as
# local processes by kwokctl. See docs/development-cluster.md.
CLUSTER ?= bulwark

.PHONY: binaries cluster-up cluster-down cluster-status

binaries: ## build kube-apiserver, etcd, kwok, kubectl, helm ... into the binary cache (once per version set)
	test/cluster/build-binaries.sh

cluster-up: ## start or reuse the local cluster, building binaries first if needed (CLUSTER=name for another)
	test/cluster/cluster.sh up $(CLUSTER)

cluster-down: ## stop the local cluster (CLUSTER=name for another) and remove its state
	test/cluster/cluster.sh down $(CLUSTER)

cluster-status: ## exit 0 when the local cluster answers and has a Ready node
	test/cluster/cluster.sh status $(CLUSTER)

test-prereqs: binaries
