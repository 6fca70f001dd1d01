# syntax=docker/dockerfile:1
#
# The platform's one image. Its processes, as the operator's pods run them (cdk8s/image-commands.ts):
#   node dist/api/main.js          the HTTP API (the default command)
#   node dist/workers/main.js      the BullMQ workers (WORKER_QUEUES picks the queues)
#   node dist/operator/main.js     the PassPlatform operator
#   node dist/scripts/migrate.js   schema migrations (the pods' init container)
# node is PID 1 and gets SIGTERM itself; nothing is written outside /tmp and mounted volumes.
# Build and push: see "Container image" in README.md (.github/workflows/image.yml does it in CI).

ARG NODE_IMAGE=node:20.20.2-bookworm-slim
ARG NPM_VERSION=11.19.1

# 1. Compile the TypeScript with every dependency installed, and bundle the API into one file
#    (scripts/bundle-api.ts: dist/api/main.js loads it, about half the CPU of a start).
FROM ${NODE_IMAGE} AS build
ARG NPM_VERSION
WORKDIR /src
RUN npm install --global --no-audit --no-fund "npm@${NPM_VERSION}"
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY core ./core
COPY platform-api ./platform-api
COPY domain ./domain
COPY api ./api
COPY workers ./workers
COPY operator ./operator
COPY cdk8s ./cdk8s
COPY alerts ./alerts
COPY grafana ./grafana
COPY scripts ./scripts
RUN npm run build

# 2. Production dependencies only (native modules resolve for this base image's libc and CPU).
FROM ${NODE_IMAGE} AS production-dependencies
ARG NPM_VERSION
WORKDIR /app
RUN npm install --global --no-audit --no-fund "npm@${NPM_VERSION}"
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

# 3. The runtime: production node_modules, the compiled dist/, package.json (it makes dist/ ES
#    modules) and nothing else. npm is removed: production runs node, never npm.
FROM ${NODE_IMAGE} AS runtime
RUN rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
    /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack /opt/yarn-* /usr/local/bin/yarn /usr/local/bin/yarnpkg
ENV NODE_ENV=production
WORKDIR /app
COPY --from=production-dependencies /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
# A numeric non-root user, so Kubernetes' runAsNonRoot can verify it without /etc/passwd.
USER 10001:10001
EXPOSE 3000 8080 9464
ENTRYPOINT ["node"]
CMD ["dist/api/main.js"]
