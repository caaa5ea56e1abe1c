# syntax=docker/dockerfile:1
# One image for every Daybreak process: the worker (default), the feature API (`api`) and the
# schedule applier (`schedules apply`). TypeScript runs through tsx, a production dependency, so
# there is no build step: the first stage exists to keep npm's cache and the dev dependencies out.
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
# tini as PID 1 forwards SIGTERM to Node (the Temporal SDK then drains the worker) and reaps zombies.
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini \
  && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
  DAYBREAK_DATA_ROOT=/data \
  DAYBREAK_STATE_DIR=/var/lib/daybreak \
  DAYBREAK_SCRATCH_DIR=/scratch \
  DAYBREAK_CACHE_DIR=/home/node/.cache/daybreak
WORKDIR /app
# Sources stay owned by root (read-only to the app); only the data folders belong to `node`.
COPY --from=deps /app/node_modules ./node_modules
COPY . .
# The workflow bundle is built once here from the same sources, so workers start without webpack
# (~0.3 s instead of ~1.1 s, ~100 MB less RSS).
RUN node bin/daybreak.js bundle --out /app/workflow-bundle.js
ENV DAYBREAK_WORKFLOW_BUNDLE=/app/workflow-bundle.js
RUN mkdir -p /data /scratch /var/lib/daybreak /home/node/.cache/daybreak \
  && chown -R node:node /data /scratch /var/lib/daybreak /home/node/.cache
USER node
# 9464: prom-client metrics, 9465: Temporal SDK metrics (workers); 8080: the feature API.
EXPOSE 9464 9465 8080
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=10s --start-period=120s --retries=3 \
  CMD ["node", "bin/healthcheck.js"]
ENTRYPOINT ["/usr/bin/tini", "--", "node", "bin/daybreak.js"]
CMD ["worker"]
