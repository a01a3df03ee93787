# One image for the webhook, the worker and the simulator; the command picks the process.
# Not exercised by the tests (no Docker engine on the build machines): see README "Containers". What the tests do
# check: the build this image runs (test/deploy/build.test.ts) and that its ENV is the one every process of ours
# gets elsewhere (test/deploy/dockerfile.test.ts).

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

FROM node:20-slim
WORKDIR /app
ENV NODE_ENV=production
# glibc keeps freed heap for reuse instead of faulting it in again (scripts/lib/processes.ts, PRODUCTION_PROCESS_ENV).
ENV MALLOC_TRIM_THRESHOLD_=67108864
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY --from=build /app/dist ./dist
# The recorder CLI runs its TypeScript through tsx (a runtime dependency): it needs the sources.
COPY tsconfig.json ./
COPY src ./src
COPY workers ./workers
COPY policies ./policies
COPY bin ./bin
USER node
EXPOSE 8080
CMD ["node", "dist/src/main.js"]
