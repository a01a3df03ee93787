import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createServer, Socket } from "node:net";
import { fileURLToPath } from "node:url";
import type { Redis } from "ioredis";

/** Asks a free port of the OS (closed again at once; a race is possible but harmless in tests). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

/** True when a Redis answers PING at host:port within the timeout. */
export async function redisAnswers(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("error", () => done(false));
    socket.connect(port, host, () => socket.write("PING\r\n"));
    socket.once("data", (data) => done(data.toString().startsWith("+PONG")));
  });
}

export function redisServerInstalled(): boolean {
  return spawnSync("redis-server", ["--version"], { stdio: "ignore" }).status === 0;
}

export interface PrivateRedis {
  url: string;
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Starts a throw-away redis-server on a private port (for tests that kill or restart Redis, or when none runs). */
export async function startPrivateRedis(port?: number): Promise<PrivateRedis> {
  const chosen = port ?? (await freePort());
  const child = spawn(
    "redis-server",
    ["--port", String(chosen), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no"],
    { stdio: "ignore" },
  );
  const deadline = Date.now() + 10_000;
  while (!(await redisAnswers("127.0.0.1", chosen))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`redis-server did not start on port ${chosen}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `redis://127.0.0.1:${chosen}`,
    port: chosen,
    process: child,
    stop: () => stopChild(child),
  };
}

/** Waits until something accepts TCP connections on host:port. */
export async function waitForPort(host: string, port: number, timeoutMs: number, isAlive: () => boolean = () => true) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = new Socket();
      socket.setTimeout(300, () => (socket.destroy(), resolve(false)));
      socket.once("error", () => (socket.destroy(), resolve(false)));
      socket.connect(port, host, () => (socket.destroy(), resolve(true)));
    });
    if (open) return;
    if (!isAlive()) throw new Error(`process for ${host}:${port} exited before listening`);
    if (Date.now() > deadline) throw new Error(`nothing listens on ${host}:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Azurite's well-known development account (public, documented by Microsoft). */
export const AZURITE_ACCOUNT = "devstoreaccount1";
export const AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

export function azuriteConnectionString(port: number): string {
  return `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};BlobEndpoint=http://127.0.0.1:${port}/${AZURITE_ACCOUNT};`;
}

export interface RunningAzurite {
  port: number;
  connectionString: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Starts Azurite's blob service (flags per toolchain-notes.md) storing on disk under `location`. */
export async function startAzurite(location: string, port?: number): Promise<RunningAzurite> {
  const chosen = port ?? (await freePort());
  const main = fileURLToPath(new URL("../../node_modules/azurite/dist/src/blob/main.js", import.meta.url));
  const child = spawn(
    process.execPath,
    [
      main,
      "--blobHost",
      "127.0.0.1",
      "--blobPort",
      String(chosen),
      "--location",
      location,
      "--silent",
      "--disableTelemetry",
      "--skipApiVersionCheck",
      "--loose",
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr?.on("data", (data: Buffer) => (stderr += data.toString()));
  try {
    await waitForPort("127.0.0.1", chosen, 20_000, () => child.exitCode === null);
  } catch (error) {
    child.kill("SIGKILL");
    throw new Error(`Azurite did not start: ${(error as Error).message}\n${stderr}`);
  }
  return {
    port: chosen,
    connectionString: azuriteConnectionString(chosen),
    process: child,
    stop: () => stopChild(child),
  };
}

/** Deletes the keys matching a pattern (SCAN, never KEYS): how tests and benchmarks remove only what they created. */
export async function deleteKeysMatching(redis: Redis, pattern: string): Promise<void> {
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", pattern, "COUNT", 1000);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== "0");
}

/** Stops a child process (SIGTERM) and resolves once it has exited. */
export function stopChild(child: ChildProcess): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}
