# The lakehouse CLI as an image: `docker build -t crypto-lakehouse .`, then
# `docker run --rm crypto-lakehouse backfill --market spot --symbols BTCUSDT --types klines:1m --from 2025-07-01 --lake /data/lake`.
# Stage 1 compiles the TypeScript sources with tsc (npm run build → dist/) and keeps the production dependencies only;
# stage 2 is the Node runtime with dist/, bin/ and those dependencies, run as the unprivileged `node` user.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would compile sources not copied yet (the build runs below); the one install script
# of the dependencies (ccxt's postinstall) only prints a banner. `npm install`, not `npm ci`: see README.md.
RUN npm install --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY schemas schemas
COPY operators operators
COPY connectors connectors
COPY pipelines pipelines
RUN npm run build && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY bin bin
COPY infra/local infra/local
# Without the TypeScript sources, bin/lakehouse.mjs always runs dist/pipelines/cli.js.
RUN chmod 755 bin/lakehouse.mjs && ln -s /app/bin/lakehouse.mjs /usr/local/bin/lakehouse \
  && mkdir -p /data && chown node:node /data
USER node
WORKDIR /data
ENTRYPOINT ["lakehouse"]
CMD ["--help"]
