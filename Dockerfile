# One image recipe for every service:
#   docker build --build-arg SERVICE=order --build-arg PORT=3001 -t cheesecake-order .
# Stages: prune the monorepo to the service and what it depends on, install and
# build that, deploy the service with production dependencies only, and copy the
# result onto a slim runtime image that runs as the unprivileged `node` user.
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS base
ENV TURBO_TELEMETRY_DISABLED=1
RUN npm install --global --no-fund --no-audit pnpm@12.21.0 turbo@2.11.11
WORKDIR /repo

FROM base AS pruned
ARG SERVICE
COPY . .
RUN turbo prune "@cheesecake/${SERVICE}" --docker

FROM base AS build
ARG SERVICE
# Dependencies first, from the pruned manifests and lockfile, so source edits reuse this layer.
COPY --from=pruned /repo/out/json/ .
RUN pnpm install --frozen-lockfile
COPY --from=pruned /repo/out/full/ .
COPY tsconfig.base.json ./
RUN turbo run build --filter="@cheesecake/${SERVICE}" \
 && pnpm --filter "@cheesecake/${SERVICE}" deploy --prod --legacy /deploy

FROM ${NODE_IMAGE} AS runtime
ARG PORT
# In a container the service must listen on every interface; PORT is its own port.
ENV NODE_ENV=production HOST=0.0.0.0 PORT=${PORT}
WORKDIR /app
COPY --from=build --chown=node:node /deploy .
# Without DATABASE_URL a service keeps an embedded database here (mount a volume to keep it).
RUN mkdir .data && chown node:node .data
ENV DATA_DIR=/app/.data
USER node
HEALTHCHECK --interval=5s --timeout=3s --start-period=30s --retries=5 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.PORT + '/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "--import", "./dist/instrument.js", "dist/main.js"]
