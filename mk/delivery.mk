# Delivery: images, the Helm chart, plain manifests and the tools their tests need (issue 7).
.PHONY: images chart-sync manifests delivery-tools

images: ## build the operator, guard and profile-installer images (docker, podman or buildah; exit 2 if none)
	scripts/delivery/build-images.sh

chart-sync: deps ## copy crds/ into the chart and regenerate its RBAC from operator/rbac.ts
	scripts/delivery/sync-chart-crds.sh
	npx tsx scripts/delivery/chart-rbac.ts

manifests: ## render manifests/ from the chart (plain YAML for kubectl apply)
	scripts/delivery/render-manifests.sh

delivery-tools: ## runc + apparmor_parser (Debian) and kube-score (Go), for the delivery tests
	scripts/delivery/install-runtime-tools.sh
	scripts/delivery/build-tools.sh

test-prereqs: delivery-tools
