# syntax=docker/dockerfile:1
#
# The Rampart server image. Build from the repository root (the workspaces share one lockfile):
#   docker build -t rampart .
#   docker run --rm -p 8080:8080 -e RAMPART_KEK -e RAMPART_PUBLIC_URL=https://auth.example.com -v rampart-data:/var/lib/rampart rampart
# Settings are RAMPART_* variables (packages/server/README.md); the key-encryption key is passed at run time from a
# secret store, never baked in. Deployment: docs/deploy.md.
#
# Pin the bases by digest in your own pipeline (node:20-bookworm@sha256:…): a tag moves.
ARG NODE_IMAGE=node:20-bookworm
ARG NODE_RUNTIME_IMAGE=node:20-bookworm-slim

# ---- build: the full toolchain, every dependency, TypeScript compiled to dist ----
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.base.json ./
COPY packages/ packages/
# --ignore-scripts: the root `prepare` would build before the sources are complete, and no install script of a build
# tool needs to run to compile TypeScript.
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && npx tsc -b packages/core/tsconfig.build.json packages/fastify/tsconfig.build.json packages/server/tsconfig.build.json packages/cli/tsconfig.build.json

# ---- deps: production dependencies only, native modules compiled against this Node ----
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
# Native modules are compiled here from the npm tarball the lockfile pins (its integrity hash checked), not fetched as
# prebuilt binaries from elsewhere, which no lockfile covers; node-gyp uses the image's own Node headers.
ENV npm_config_build_from_source=true \
    npm_config_nodedir=/usr/local
COPY package.json package-lock.json ./
COPY packages/core/package.json packages/core/
COPY packages/fastify/package.json packages/fastify/
COPY packages/server/package.json packages/server/
COPY packages/cli/package.json packages/cli/
# Only what the `rampart` command needs at run time: the four workspaces it uses, no dev dependencies, no peers of the
# other adapters. Install scripts are off; then the one native module that needs its own (better-sqlite3) is built.
RUN npm ci --omit=dev --omit=peer --ignore-scripts --no-audit --no-fund \
      --workspace @rampart/cli --workspace @rampart/server --workspace @rampart/fastify --workspace @rampart/core \
 && npm rebuild better-sqlite3

# ---- runtime: minimal Node 20, non-root, read-only code ----
FROM ${NODE_RUNTIME_IMAGE} AS runtime
ENV NODE_ENV=production \
    RAMPART_ENV=production \
    RAMPART_HOST=0.0.0.0 \
    RAMPART_PORT=8080 \
    RAMPART_DATA_DIR=/var/lib/rampart \
    RAMPART_METRICS_HOST=0.0.0.0 \
    RAMPART_METRICS_PORT=9464 \
    RAMPART_LOG_LEVEL=info
# A fixed numeric id, so orchestrators can check runAsNonRoot and volumes can be prepared for it. The data directory
# is owner-only (0700): the server refuses one others can read.
RUN groupadd --system --gid 10001 rampart \
 && useradd --system --uid 10001 --gid rampart --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin rampart \
 && mkdir -p /var/lib/rampart \
 && chown rampart:rampart /var/lib/rampart \
 && chmod 0700 /var/lib/rampart
WORKDIR /app
# Code and dependencies stay owned by root: the server cannot rewrite itself.
COPY --from=deps /app/ ./
COPY --from=build /app/packages/core/dist packages/core/dist
COPY --from=build /app/packages/fastify/dist packages/fastify/dist
COPY --from=build /app/packages/server/dist packages/server/dist
COPY --from=build /app/packages/cli/dist packages/cli/dist
USER 10001:10001
VOLUME ["/var/lib/rampart"]
# 8080: the API (put TLS in front of it). 9464: Prometheus metrics, for the monitoring network only.
EXPOSE 8080 9464
# Ready means the database answers (/readyz), not merely that the process is alive.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.RAMPART_PORT || '8080') + '/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "/app/packages/cli/dist/bin.js"]
CMD ["serve"]
