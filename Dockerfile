# syntax=docker/dockerfile:1
#
# jwtcheck: one image, two roles chosen at start (DESIGN §5):
#   docker run IMAGE            -> `jwtcheck app`   (Slack app)
#   docker run IMAGE worker     -> `jwtcheck worker` (queue worker, reads the cluster)
#   docker run IMAGE diagnose … -> the CLI
# Node 24, the active LTS (package.json engines: >= 20.19; CI runs the packed package on 20 and 24).
# The command line is an esbuild bundle (scripts/build.mjs) that carries its dependencies, so the runtime
# stage needs no node_modules at all.
# Pin the base by digest in production (node:24-slim@sha256:…) so rebuilds are reproducible.

ARG NODE_IMAGE=node:24-slim

# ---- build: bundle with the dev dependencies -----------------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# Lockfile first: the npm ci layer stays cached until dependencies change.
COPY package.json package-lock.json ./
# --ignore-scripts: the install scripts in the tree are msgpackr-extract's native build, which BullMQ does
# without (msgpackr falls back to JS), and esbuild's binary check (its platform package is installed anyway).
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts ./scripts
COPY src ./src
RUN npm run build

# ---- runtime -----------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
# A fixed numeric uid/gid (10001, matching runAsUser in manifests/) so Kubernetes' runAsNonRoot can verify
# it without reading /etc/passwd. npm and corepack are not needed at run time: removing them drops
# their CVEs from the image.
RUN groupadd --system --gid 10001 jwtcheck \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin jwtcheck \
 && rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
           /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack
# Files stay owned by root and read-only to the process (readOnlyRootFilesystem in manifests/).
# package.json is needed at run time: `jwtcheck --version` reads it. dist/ holds every dependency.
COPY package.json ./
COPY --from=build /app/dist ./dist
# The bundle `jwtcheck demo` runs with no cluster.
COPY examples ./examples
USER 10001:10001
# 3000: Slack HTTP mode (/slack/events); /healthz, /readyz, /metrics on HEALTH_PORT: 9464 (app), 9465 (worker).
EXPOSE 3000 9464 9465
# No HEALTHCHECK: Kubernetes probes /healthz and /readyz on the health port; compose relies on restart.
ENTRYPOINT ["node", "dist/cli.js"]
CMD ["app"]
