import { loadConfig } from "../src/config/index.js";
import { createLogger } from "../src/log.js";
import { runProcess } from "../src/process-entry.js";
import { createRuntime } from "../src/runtime.js";
import { createWorkerDependencies } from "./dependencies.js";
import { createWorkerHttp, listenWorkerHttp } from "./http.js";
import { startWorkers } from "./run.js";

/** Worker process: call events, recording control and ingest. */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL, "worker");
  const runtime = await createRuntime(config, logger);
  await runtime.container.createIfNotExists();
  const running = startWorkers(
    createWorkerDependencies(config, runtime, logger),
    runtime.redis,
    config.REDIS_PREFIX,
    config.WORKER_CONCURRENCY,
  );

  // Probes and metrics, when a port is configured (Kubernetes, docker compose).
  const http =
    config.WORKER_HTTP_PORT === undefined
      ? undefined
      : await listenWorkerHttp(
          createWorkerHttp({
            ping: () => runtime.redis.ping(),
            heartbeat: running.heartbeat,
            policies: runtime.policyStatus,
          }),
          config.WORKER_HTTP_PORT,
          config.HOST,
        );

  // Completeness is proven against ACS's own logs only when reconciliation runs (docs/reconciliation.md).
  if (config.NODE_ENV === "production" && config.RECONCILE_EVERY_SECONDS === 0)
    logger.warn(
      { alert: "reconciliation-off" },
      "reconciliation against ACS's call logs is off: set RECONCILE_EVERY_SECONDS (e.g. 3600) and its source (docs/reconciliation.md)",
    );
  logger.info(
    {
      queues: running.workers.map((w) => w.name),
      concurrency: config.WORKER_CONCURRENCY,
      ...(http ? { http: `${config.HOST}:${config.WORKER_HTTP_PORT}` } : {}),
    },
    "workers running",
  );
  const stop = () => {
    logger.info("stopping workers");
    http?.close();
    void running
      .close()
      .then(() => runtime.close())
      .then(() => process.exit(0));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

runProcess(main);
