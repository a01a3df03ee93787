// Standalone simulator (`npm run simulator`): configuration from the environment, JSON lines on stdout.
import { startSimulator } from "./server.js";
import type { RunningSimulator } from "./types.js";

function print(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...line })}\n`);
}

function fail(message: string): never {
  process.stderr.write(`${JSON.stringify({ level: "error", msg: message })}\n`);
  process.exit(1);
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) fail(`Missing required environment variable ${name}`);
  return value;
}

function port(): number {
  const raw = process.env.SIM_PORT ?? "8480";
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) fail(`SIM_PORT must be a port number, got "${raw}"`);
  return n;
}

/**
 * The app may start after the simulator (docker-compose), so the Event Grid handshake is retried here
 * rather than failing the start.
 */
async function subscribeWhenReady(sim: RunningSimulator, endpointUrl: string, signal: AbortSignal): Promise<void> {
  for (let delay = 1000; !signal.aborted; delay = Math.min(delay * 2, 15_000)) {
    try {
      await sim.setEventGridSubscription(endpointUrl);
      return;
    } catch (err) {
      print({
        level: "warn",
        msg: "event grid handshake failed; retrying",
        endpointUrl,
        retryInMs: delay,
        error: String(err),
      });
      await new Promise((r) => setTimeout(r, delay).unref());
    }
  }
}

async function main(): Promise<void> {
  const accessKey = required("SIM_ACCESS_KEY");
  const resourceId = required("SIM_RESOURCE_ID");
  const eventGridUrl = process.env.SIM_EVENTGRID_URL;
  let sim: RunningSimulator;
  try {
    sim = await startSimulator({
      port: port(),
      ...(process.env.SIM_HOST ? { host: process.env.SIM_HOST } : {}),
      ...(process.env.SIM_STORAGE_HOST ? { storageHost: process.env.SIM_STORAGE_HOST } : {}),
      ...(process.env.SIM_CHUNK_MAX_BYTES ? { chunkMaxBytes: Number(process.env.SIM_CHUNK_MAX_BYTES) } : {}),
      ...(process.env.SIM_CHUNK_MAX_MS ? { chunkMaxDurationMs: Number(process.env.SIM_CHUNK_MAX_MS) } : {}),
      // Bring your own storage (docs/byos.md): the account ACS's identity may write to, and its granted containers.
      ...(process.env.SIM_CUSTOMER_STORAGE_CONNECTION_STRING
        ? {
            customerStorage: {
              connectionString: process.env.SIM_CUSTOMER_STORAGE_CONNECTION_STRING,
              ...(process.env.SIM_CUSTOMER_STORAGE_CONTAINERS
                ? { grantedContainers: process.env.SIM_CUSTOMER_STORAGE_CONTAINERS.split(",").map((u) => u.trim()) }
                : {}),
            },
          }
        : {}),
      accessKey,
      resourceId,
      log: print,
    });
  } catch (err) {
    fail(err instanceof Error ? err.message : String(err));
  }
  const stopping = new AbortController();
  if (eventGridUrl) void subscribeWhenReady(sim, eventGridUrl, stopping.signal);

  const shutdown = (signal: string) => {
    print({ msg: "simulator stopping", signal });
    stopping.abort();
    void sim.stop().then(() => process.exit(0));
  };
  process.once("SIGINT", () => shutdown("SIGINT"));
  process.once("SIGTERM", () => shutdown("SIGTERM"));
}

void main();
