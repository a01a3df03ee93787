import { loadConfig } from "./config/index.js";
import { createLogger } from "./log.js";
import { runProcess } from "./process-entry.js";
import { createRuntime } from "./runtime.js";
import { startWebhook } from "./webhook.js";

/** Webhook process: Event Grid and ACS callbacks in, jobs out. */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL, "webhook");
  const runtime = await createRuntime(config, logger);
  // The webhook creates nothing in storage (the worker creates the archive container): it needs no write access
  // to recordings, only read (docs/identity.md).
  const { server, url } = await startWebhook(config, runtime, logger);
  logger.info(
    { url, publicBaseUrl: config.PUBLIC_BASE_URL, localSimulator: !!config.ACS_LOCAL_SIMULATOR_URL },
    "webhook listening",
  );
  const stop = () => {
    logger.info("stopping webhook");
    // Requests in flight finish; each keep-alive connection is closed as soon as it is idle (close() alone
    // closes only those idle at the moment it is called, so the rest would hold the process for their timeout).
    const closeIdle = setInterval(() => server.closeIdleConnections(), 100);
    server.close(() => {
      clearInterval(closeIdle);
      void runtime.close().then(() => process.exit(0));
    });
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

runProcess(main);
