import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { readFile } from "node:fs/promises";
import { createWriteStream } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { waitForPort } from "./services.js";

export const projectRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/**
 * Environment of every process of ours in production (the Dockerfile sets the same, checked by
 * test/deploy/dockerfile.test.ts), and of every one started here: glibc keeps up to 64 MiB of freed heap for
 * reuse instead of handing it back to the kernel. Node's HTTP client reads every 64 KiB of a download into a
 * fresh buffer and V8 frees them in batches of tens of MB; handed back, each batch was faulted in again
 * (measured: up to 300 000 page faults per GB ingested, and up to twice the copy's CPU), for no lower peak RSS.
 */
export const PRODUCTION_PROCESS_ENV: Readonly<Record<string, string>> = {
  MALLOC_TRIM_THRESHOLD_: String(64 * 1024 * 1024),
};

/**
 * Node flags of the worker process in production (deploy/k8s/worker.yaml and docker-compose.yml run the same,
 * checked by test/deploy): a young generation of 2 × 4 MB semi-spaces instead of up to 2 × 16 MB, so a worker
 * idles about 15 MB smaller and its peak while ingesting a 1 GB chunk stays well under 200 MB (bench/ingest.ts);
 * the ingest's CPU per GB did not change measurably.
 */
export const WORKER_NODE_FLAGS: readonly string[] = ["--max-semi-space-size=4"];

/**
 * How each process runs in production, compiled by `npm run build` (the Dockerfile's CMD, deploy/k8s and
 * docker-compose.yml run exactly these; test/deploy checks them, and runs them).
 */
export const PRODUCTION_COMMANDS = {
  webhook: ["node", "dist/src/main.js"],
  worker: ["node", ...WORKER_NODE_FLAGS, "dist/workers/main.js"],
  simulator: ["node", "dist/simulator/main.js"],
} as const satisfies Record<string, readonly string[]>;

/**
 * A production command as startAppProcess takes it: the compiled entry, under `distDir` (a build made elsewhere
 * with `scripts/build.ts --out-dir`) in place of dist/, and the node flags before it.
 */
export function productionProcess(
  name: keyof typeof PRODUCTION_COMMANDS,
  distDir = join(projectRoot, "dist"),
): { entry: string; nodeFlags: string[] } {
  const [, ...args] = PRODUCTION_COMMANDS[name];
  const entry = args.at(-1)!;
  return { entry: join(distDir, entry.slice("dist/".length)), nodeFlags: args.slice(0, -1) };
}

const CLOCK_TICKS = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100;

/** User + system CPU seconds a process has used so far (/proc/<pid>/stat utime + stime; Linux). */
export async function cpuSecondsOf(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may hold spaces) start at the last ')'.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** How a started process shows it is ready: it listens on a port, or it prints a line. */
export type Readiness = { port: number } | { logLine: string };

export interface AppProcess {
  name: string;
  child: ChildProcess;
  log: string;
  /** SIGTERM, then SIGKILL after 5 s; resolves when it has exited. */
  stop(): Promise<void>;
}

/**
 * Starts one of the project's entry points (webhook, worker, simulator) as its own process, with output to
 * `<logDir>/<name>.log`, and resolves once it is ready: a TypeScript entry (`workers/main.ts`) under tsx, a
 * compiled one (`dist/workers/main.js`, see scripts/build.ts) with plain node, as in production.
 */
export async function startAppProcess(
  name: string,
  entry: string,
  env: Record<string, string>,
  ready: Readiness,
  logDir: string,
  nodeFlags: readonly string[] = [],
): Promise<AppProcess> {
  const log = join(logDir, `${name}.log`);
  const out = createWriteStream(log, { flags: "a" });
  const child = spawn(process.execPath, [...nodeFlags, ...(entry.endsWith(".ts") ? ["--import", "tsx"] : []), entry], {
    cwd: projectRoot,
    env: { ...process.env, ...PRODUCTION_PROCESS_ENV, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
      setTimeout(() => child.kill("SIGKILL"), 5_000).unref();
    });
  try {
    if ("port" in ready) {
      await waitForPort("127.0.0.1", ready.port, 60_000, () => child.exitCode === null);
    } else {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${name} not ready after 60 s; see ${log}`)), 60_000);
        child.stdout?.on("data", (data: Buffer) => {
          if (data.toString().includes(ready.logLine)) {
            clearTimeout(timer);
            resolve();
          }
        });
        child.once("exit", () => reject(new Error(`${name} exited before it was ready; see ${log}`)));
      });
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { name, child, log, stop };
}

/**
 * A worker process with the production worker flags (WORKER_NODE_FLAGS), ready once it logs "workers running"
 * (give it LOG_LEVEL info or lower): from its TypeScript entry, or `dist/workers/main.js` as deployed.
 */
export function startWorkerProcess(
  name: string,
  env: Record<string, string>,
  logDir: string,
  entry = "workers/main.ts",
): Promise<AppProcess> {
  return startAppProcess(name, entry, env, { logLine: "workers running" }, logDir, WORKER_NODE_FLAGS);
}
