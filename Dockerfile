# Two images from one build: `recorder` (the default, last stage: webhook, workers and the `recorder` CLI, compiled,
# no TypeScript sources, no TypeScript loader, no simulator) and `simulator` (the local ACS stand-in, for compose
# and demos only: `docker build --target simulator`).
# Not exercised by the tests (no Docker engine on the build machines): see docs/operations.md "Deployment". What the tests do
# check: the build this image runs (test/deploy/build.test.ts, including the CLI without its sources) and that its
# ENV is the one every process of ours gets elsewhere (test/deploy/dockerfile.test.ts).

# Build: TypeScript → JavaScript in dist/ (npm run build).
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY workers ./workers
COPY simulator ./simulator
COPY scripts ./scripts
RUN npm run build

# Production dependencies only, under both images.
FROM node:20-slim AS runtime
WORKDIR /app
ENV NODE_ENV=production
# glibc keeps freed heap for reuse instead of faulting it in again (scripts/local-stack/processes.ts, PRODUCTION_PROCESS_ENV).
ENV MALLOC_TRIM_THRESHOLD_=67108864
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

# The local ACS stand-in (docker-compose.yml); never deployed beside real ACS.
FROM runtime AS simulator
COPY --from=build /app/dist/simulator ./dist/simulator
USER node
EXPOSE 8480
CMD ["node", "dist/simulator/main.js"]

# The recorder. bin/recorder.mjs runs the compiled CLI (dist/src/cli) when there are no sources beside it.
FROM runtime AS recorder
COPY --from=build /app/dist/src ./dist/src
COPY --from=build /app/dist/workers ./dist/workers
COPY policies ./policies
COPY bin ./bin
USER node
EXPOSE 8080
CMD ["node", "dist/src/main.js"]
