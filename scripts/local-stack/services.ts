import { execFile, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { dataNodes, type RedisClient } from "../../src/redis/index.js";

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

/**
 * Starts a throw-away redis-server on a private port (for tests that kill or restart Redis, or when none runs):
 * no persistence unless `args` say otherwise (they come last, and the last value of a setting wins), e.g.
 * `["--appendonly", "yes", "--dir", dir]`, or `["--replicaof", "127.0.0.1", "6380"]`.
 */
export async function startPrivateRedis(port?: number, args: readonly string[] = []): Promise<PrivateRedis> {
  const chosen = port ?? (await freePort());
  // Its files (a replica's copy of its master's data, say) go to a directory of its own, never the working
  // directory, where a later redis-server would load them.
  const ownDir = args.includes("--dir") ? undefined : await mkdtemp(join(tmpdir(), "redis-"));
  const child = spawn(
    "redis-server",
    [
      "--port",
      String(chosen),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
      "--daemonize",
      "no",
      ...(ownDir ? ["--dir", ownDir] : []),
      ...args,
    ],
    { stdio: "ignore" },
  );
  const stop = async () => {
    await stopChild(child);
    if (ownDir) await rm(ownDir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 10_000;
  while (!(await redisAnswers("127.0.0.1", chosen))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      await stop();
      throw new Error(`redis-server did not start on port ${chosen}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url: `redis://127.0.0.1:${chosen}`, port: chosen, process: child, stop };
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

/**
 * Deletes the keys matching a pattern (SCAN, never KEYS): how tests and benchmarks remove only what they created.
 * On a Cluster every master is scanned, and keys are deleted one by one (a multi-key DEL must stay in one slot).
 */
export async function deleteKeysMatching(redis: RedisClient, pattern: string): Promise<void> {
  for (const node of await dataNodes(redis)) {
    let cursor = "0";
    do {
      const [next, keys] = await node.scan(cursor, "MATCH", pattern, "COUNT", 1000);
      if (keys.length > 0) {
        const pipeline = node.pipeline();
        for (const key of keys) pipeline.unlink(key);
        await pipeline.exec();
      }
      cursor = next;
    } while (cursor !== "0");
  }
}

/** The keys matching a pattern, on every server of the deployment (SCAN). */
export async function keysMatching(redis: RedisClient, pattern: string): Promise<string[]> {
  const found: string[] = [];
  for (const node of await dataNodes(redis)) {
    let cursor = "0";
    do {
      const [next, keys] = await node.scan(cursor, "MATCH", pattern, "COUNT", 1000);
      found.push(...keys);
      cursor = next;
    } while (cursor !== "0");
  }
  return found;
}

export interface PrivateRedisCluster {
  /** `redis+cluster://127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3`: what REDIS_URL takes. */
  url: string;
  ports: number[];
  processes: ChildProcess[];
  stop(): Promise<void>;
}

const execFileAsync = promisify(execFile);

export function redisCliInstalled(): boolean {
  return spawnSync("redis-cli", ["--version"], { stdio: "ignore" }).status === 0;
}

/**
 * Starts a throw-away Redis Cluster of `masters` redis-server processes (no replicas) on free private ports, with
 * its node files in a temporary directory, and resolves once the cluster says `cluster_state:ok`.
 */
export async function startPrivateRedisCluster(masters = 3): Promise<PrivateRedisCluster> {
  if (!redisServerInstalled() || !redisCliInstalled()) {
    throw new Error(
      "A Redis Cluster needs redis-server and redis-cli: `apt-get install -y redis-server` (it brings redis-tools, which has redis-cli).",
    );
  }
  const dir = await mkdtemp(join(tmpdir(), "redis-cluster-"));
  const ports: number[] = [];
  const processes: ChildProcess[] = [];
  const stop = async () => {
    await Promise.all(processes.map((child) => stopChild(child)));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < masters; i++) {
      const port = await freePort();
      // Cluster nodes also listen on port + 10000 for their bus: take another port if that one is busy.
      if (port > 55535 || (await portOpen("127.0.0.1", port + 10000))) {
        i--;
        continue;
      }
      ports.push(port);
      processes.push(
        spawn(
          "redis-server",
          [
            "--port",
            String(port),
            "--bind",
            "127.0.0.1",
            "--cluster-enabled",
            "yes",
            "--cluster-config-file",
            join(dir, `nodes-${port}.conf`),
            "--dir",
            dir,
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
          ],
          { stdio: "ignore" },
        ),
      );
    }
    const deadline = Date.now() + 10_000;
    for (const port of ports) {
      while (!(await redisAnswers("127.0.0.1", port))) {
        if (processes.some((child) => child.exitCode !== null) || Date.now() > deadline) {
          throw new Error(`redis-server (cluster node) did not start on port ${port}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    const nodes = ports.map((port) => `127.0.0.1:${port}`);
    await execFileAsync("redis-cli", ["--cluster", "create", ...nodes, "--cluster-replicas", "0", "--cluster-yes"], {
      timeout: 30_000,
    });
    // Every node must agree that all slots are served before clients can rely on it.
    const okDeadline = Date.now() + 20_000;
    for (const port of ports) {
      for (;;) {
        const { stdout } = await execFileAsync("redis-cli", ["-p", String(port), "cluster", "info"]);
        if (stdout.includes("cluster_state:ok")) break;
        if (Date.now() > okDeadline)
          throw new Error(`Redis Cluster on ${nodes.join(",")} never reached cluster_state:ok`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    return { url: `redis+cluster://${nodes.join(",")}`, ports, processes, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

export interface PrivateSentinel {
  /** `redis+sentinel://127.0.0.1:<port>/<master name>`: what REDIS_URL takes. */
  url: string;
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts a throw-away Redis Sentinel (quorum 1) watching the master on `masterPort` under `masterName`; it calls
 * the master down after `downAfterMs` without an answer (a failover then also needs `failoverTimeoutMs` to have
 * passed since any earlier attempt).
 */
export async function startPrivateSentinel(
  masterPort: number,
  masterName: string,
  timing: { downAfterMs?: number; failoverTimeoutMs?: number } = {},
): Promise<PrivateSentinel> {
  const dir = await mkdtemp(join(tmpdir(), "redis-sentinel-"));
  const port = await freePort();
  // Sentinel rewrites its configuration file as it learns: it must be a file of its own.
  const file = join(dir, "sentinel.conf");
  await writeFile(
    file,
    [
      `port ${port}`,
      "bind 127.0.0.1",
      `dir ${dir}`,
      `sentinel monitor ${masterName} 127.0.0.1 ${masterPort} 1`,
      `sentinel down-after-milliseconds ${masterName} ${timing.downAfterMs ?? 5000}`,
      ...(timing.failoverTimeoutMs ? [`sentinel failover-timeout ${masterName} ${timing.failoverTimeoutMs}`] : []),
      "",
    ].join("\n"),
  );
  const child = spawn("redis-server", [file, "--sentinel"], { stdio: "ignore" });
  const stop = async () => {
    await stopChild(child);
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 10_000;
  while (!(await redisAnswers("127.0.0.1", port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`redis-server --sentinel did not start on port ${port}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url: `redis+sentinel://127.0.0.1:${port}/${masterName}`, port, process: child, stop };
}

async function portOpen(host: string, port: number): Promise<boolean> {
  try {
    await waitForPort(host, port, 0);
    return true;
  } catch {
    return false;
  }
}

/** Stops a child process (SIGTERM) and resolves once it has exited. */
export function stopChild(child: ChildProcess): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}
