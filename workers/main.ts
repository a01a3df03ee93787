import { readdirSync } from "node:fs";
import { getPriority, setPriority } from "node:os";
import { loadConfig, type Config } from "../src/config/index.js";
import { createLogger, type Logger } from "../src/log.js";
import { workerRoles } from "../src/metrics.js";
import { rolesReadiness } from "../src/observability/index.js";
import { runProcess } from "../src/process-entry.js";
import { rolesLabel, WORKER_ROLES } from "../src/queues/index.js";
import { createRuntime } from "../src/runtime.js";
import { createWorkerDependencies } from "./dependencies.js";
import { createWorkerHttp, listenWorkerHttp } from "./http.js";
import { warnIfReconciliationOff } from "./jobs/operations/reconcile-calls.js";
import { startWorkers } from "./run.js";

/**
 * The niceness a worker gives itself: WORKER_NICE, else 10 for a worker without the control role (docs/operations.md
 * "Worker roles"), else none. Lowering one's own priority needs no privilege (Linux, macOS); where the platform
 * refuses, the worker runs at the priority it was started with and says so. On Linux a niceness is a thread's:
 * every thread already running (V8's compiler and collector threads) is set, and threads started later inherit it.
 */
function applyNice(config: Config, logger: Logger): void {
  const nice = config.WORKER_NICE ?? (config.WORKER_ROLE.includes("control") ? 0 : 10);
  if (nice <= getPriority()) return;
  try {
    let threads: number[] = [];
    try {
      threads = readdirSync("/proc/self/task").map(Number);
    } catch {
      // No /proc: the process's priority is all there is to set.
    }
    if (threads.length === 0) setPriority(nice);
    for (const thread of threads) setPriority(thread, nice);
  } catch (err) {
    logger.warn({ err, nice }, "could not lower this worker's CPU priority; it runs at the one it was started with");
  }
}

/** Worker process: the queues of its roles (WORKER_ROLE) — call events and recording control, ingest, exports. */
async function main(): Promise<void> {
  const config = loadConfig();
  const roles = config.WORKER_ROLE;
  const logger = createLogger(config.LOG_LEVEL, "worker").child({ role: rolesLabel(roles) });
  applyNice(config, logger);
  for (const role of WORKER_ROLES) workerRoles.set({ role }, roles.includes(role) ? 1 : 0);
  const runtime = await createRuntime(config, logger);
  await runtime.container.createIfNotExists();
  const running = startWorkers(
    createWorkerDependencies(config, runtime, logger),
    runtime.redis,
    config.REDIS_PREFIX,
    config.WORKER_CONCURRENCY,
    roles,
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
            roles,
            deployment: () => rolesReadiness(runtime.redis, config.REDIS_PREFIX),
          }),
          config.WORKER_HTTP_PORT,
          config.HOST,
        );

  // Completeness is proven against ACS's own logs only when reconciliation runs (docs/reconciliation.md).
  warnIfReconciliationOff(logger, config, roles);
  logger.info(
    {
      queues: running.workers.map((w) => w.name),
      concurrency: config.WORKER_CONCURRENCY,
      nice: getPriority(),
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
