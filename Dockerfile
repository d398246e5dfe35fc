# syntax=docker/dockerfile:1
#
# jwtcheck: one image, two roles chosen at start (DESIGN §5):
#   docker run IMAGE            -> `jwtcheck app`   (Slack app)
#   docker run IMAGE worker     -> `jwtcheck worker` (queue worker, reads the cluster)
#   docker run IMAGE diagnose … -> the CLI
# Node 22 LTS: Node 20 is end-of-life, and the Kubernetes client's undici 8 wants Node >= 22 (STACK.md §0).
# Pin the base by digest in production (node:22-slim@sha256:…) so rebuilds are reproducible.

ARG NODE_IMAGE=node:22-slim

# ---- build: compile TypeScript with the dev dependencies --------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# Lockfile first: the npm ci layer stays cached until dependencies change.
COPY package.json package-lock.json ./
# --ignore-scripts: the only install script in the tree is msgpackr-extract's native build, which BullMQ
# does without (it loads the prebuilt optional package or falls back to JS).
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# ---- deps: production node_modules only --------------------------------------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

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
# package.json is needed at run time: `jwtcheck --version` reads it.
COPY package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The bundle `jwtcheck demo` runs with no cluster.
COPY examples ./examples
USER 10001:10001
# 3000: Slack HTTP mode (/slack/events); /healthz, /readyz, /metrics on HEALTH_PORT: 9464 (app), 9465 (worker).
EXPOSE 3000 9464 9465
# No HEALTHCHECK: Kubernetes probes /healthz and /readyz on the health port; compose relies on restart.
ENTRYPOINT ["node", "dist/src/cli.js"]
CMD ["app"]
