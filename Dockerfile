# syntax=docker/dockerfile:1.7
# Bulwark's three images from one file, one target each:
#
#   operator           bulwark operator (reconciles LlmDeployments)
#   guard              bulwark guard (the sidecar proxy and output check), with models/ baked in
#   profile-installer  the opt-in node DaemonSet that installs seccomp/AppArmor profiles (privileged)
#
# `make images` builds all three with docker, podman or buildah (scripts/delivery/build-images.sh).
# Invariants checked by test/delivery/dockerfile.test.ts: every base pinned by digest, production
# dependencies only, numeric non-root USER in every runtime stage, no shell and no package manager at
# run time (distroless), nothing fetched from the network once the image is built, OCI labels.
#
# The base digests were taken from the images' public references when this file was written and cannot
# be checked from the build machines (no container registry there); refresh them with
# `crane digest node:20-bookworm-slim` / `crane digest gcr.io/distroless/nodejs20-debian12:nonroot`.
ARG NODE_BUILD_IMAGE=node:20-bookworm-slim@sha256:2cf067cfed83d5ea958367df9f966191a942351a2df77d6f0193e162b5febfc0
ARG NODE_RUNTIME_IMAGE=gcr.io/distroless/nodejs20-debian12:nonroot@sha256:2cd820156cf039c8b54ae2d2a97e424b6729070714de8707a6b79f20d56f6a9a

# ---- production node_modules (no dev dependencies, no network at run time) -------------------------
FROM ${NODE_BUILD_IMAGE} AS deps
WORKDIR /src
# onnxruntime-node's postinstall would download GPU builds; the CPU binary ships in the npm package.
ENV ONNXRUNTIME_NODE_INSTALL=skip \
    npm_config_update_notifier=false \
    npm_config_fund=false \
    npm_config_audit=false
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force

# ---- compile TypeScript to dist/ ------------------------------------------------------------------
FROM ${NODE_BUILD_IMAGE} AS build
WORKDIR /src
ENV ONNXRUNTIME_NODE_INSTALL=skip \
    npm_config_update_notifier=false \
    npm_config_fund=false \
    npm_config_audit=false
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY api ./api
COPY shared ./shared
COPY operator ./operator
COPY sidecar ./sidecar
COPY cli ./cli
COPY images/profile-installer ./images/profile-installer
COPY scripts/build ./scripts/build
RUN npx tsc -p tsconfig.build.json \
 && npx tsc -p images/profile-installer/tsconfig.json \
 && scripts/build/copy-runtime-assets.sh dist
# The shipped classifier (models/<name>/model.onnx + tokenizer.json, produced by training/).
COPY models ./models

# ---- the apparmor_parser binary and the include files it needs ------------------------------------
FROM ${NODE_BUILD_IMAGE} AS apparmor
RUN apt-get update \
 && apt-get install -y --no-install-recommends apparmor \
 && rm -rf /var/lib/apt/lists/*

# ---- runtime: common to operator and guard ---------------------------------------------------------
FROM ${NODE_RUNTIME_IMAGE} AS runtime
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=unknown
LABEL org.opencontainers.image.source="https://github.com/bulwark-dev/bulwark" \
      org.opencontainers.image.url="https://bulwark.dev" \
      org.opencontainers.image.vendor="Bulwark" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.base.name="gcr.io/distroless/nodejs20-debian12:nonroot"
WORKDIR /app
ENV NODE_ENV=production
# Files stay owned by root and read-only to the process: the image works with readOnlyRootFilesystem
# and the only writable path is the /tmp emptyDir the chart and the operator mount.
COPY package.json ./
COPY bin ./bin
COPY --from=deps /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
# distroless "nonroot" is 65532; numeric so kubelet can verify runAsNonRoot without /etc/passwd.
USER 65532:65532
ENTRYPOINT ["/nodejs/bin/node", "/app/bin/bulwark.js"]

FROM runtime AS operator
LABEL org.opencontainers.image.title="bulwark-operator" \
      org.opencontainers.image.description="Bulwark operator: reconciles LlmDeployments into hardened, guarded pods."
# The dataset gate (GuardrailPolicy spec.validation) evaluates a policy with the classifiers it asks for
# and fails closed without them, so the operator carries the same default models as the guard.
COPY --from=build /src/models ./models
# metrics, health
EXPOSE 8080 8081
CMD ["operator"]

FROM runtime AS guard
LABEL org.opencontainers.image.title="bulwark-guard" \
      org.opencontainers.image.description="Bulwark guard: an OpenAI-compatible proxy that scans prompts and completions."
# The classifier's default model directory is <package root>/models (shared/classifier/index.ts): the
# package root is /app, the directory of package.json.
COPY --from=build /src/models ./models
# guard, admin (metrics/health); the output check uses 8081/9091 from the same image.
EXPOSE 8080 9090
CMD ["guard"]

# PRIVILEGED at run time (see charts/bulwark/values.yaml, profileInstaller): still no shell here.
FROM ${NODE_RUNTIME_IMAGE} AS profile-installer
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=unknown
LABEL org.opencontainers.image.title="bulwark-profile-installer" \
      org.opencontainers.image.description="Installs Bulwark's seccomp and AppArmor profiles on a node." \
      org.opencontainers.image.source="https://github.com/bulwark-dev/bulwark" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}"
WORKDIR /app
ENV NODE_ENV=production \
    APPARMOR_PARSER=/usr/sbin/apparmor_parser
# apparmor_parser links only against libc, which distroless has.
COPY --from=apparmor /usr/sbin/apparmor_parser /usr/sbin/apparmor_parser
COPY --from=apparmor /etc/apparmor /etc/apparmor
COPY --from=apparmor /etc/apparmor.d/tunables /etc/apparmor.d/tunables
COPY --from=apparmor /etc/apparmor.d/abstractions /etc/apparmor.d/abstractions
# No node_modules: the installer uses node:https only.
COPY package.json ./
COPY --from=build /src/dist/images/profile-installer ./dist/images/profile-installer
COPY --from=build /src/dist/operator/constants.js ./dist/operator/constants.js
# Writing under the kubelet's directory and loading AppArmor need root (uid 0, numeric); the chart
# documents and scopes this. Runs as root only in this image.
USER 0:0
ENTRYPOINT ["/nodejs/bin/node", "/app/dist/images/profile-installer/main.js"]
