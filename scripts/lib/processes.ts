import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { waitForPort } from "./services.js";

export const projectRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

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
 * Starts one of the project's TypeScript entry points (webhook, worker, simulator) as its own process under
 * tsx, with output to `<logDir>/<name>.log`, and resolves once it is ready.
 */
export async function startAppProcess(
  name: string,
  entry: string,
  env: Record<string, string>,
  ready: Readiness,
  logDir: string,
): Promise<AppProcess> {
  const log = join(logDir, `${name}.log`);
  const out = createWriteStream(log, { flags: "a" });
  const child = spawn(process.execPath, ["--import", "tsx", entry], {
    cwd: projectRoot,
    env: { ...process.env, ...env },
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
