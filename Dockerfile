# One image for the webhook, the worker and the simulator; the command picks the process.
# Not exercised by the tests (no Docker engine on the build machines): see README "Containers".
FROM node:20-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY workers ./workers
COPY simulator ./simulator
COPY policies ./policies
COPY bin ./bin
USER node
EXPOSE 8080
CMD ["node", "--import", "tsx", "src/main.ts"]
