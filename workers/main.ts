import { loadConfig } from "../src/config/index.js";
import { createLogger } from "../src/log.js";
import { runProcess } from "../src/process-entry.js";
import { createRuntime } from "../src/runtime.js";
import { createWorkerDependencies } from "./dependencies.js";
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

  logger.info(
    { queues: running.workers.map((w) => w.name), concurrency: config.WORKER_CONCURRENCY },
    "workers running",
  );
  const stop = () => {
    logger.info("stopping workers");
    void running
      .close()
      .then(() => runtime.close())
      .then(() => process.exit(0));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

runProcess(main);
