import { mkdir, writeFile } from "node:fs/promises";
import { cpus, totalmem } from "node:os";

export interface BenchContext {
  redisUrl: string;
  say(line: string): void;
}

/** Writes one benchmark's figures, with the machine they were measured on, to bench/results/<name>-<time>.json. */
export async function writeResult(name: string, figures: Record<string, unknown>): Promise<string> {
  await mkdir("bench/results", { recursive: true });
  const path = `bench/results/${name}-${new Date().toISOString().replace(/[:.]/g, "-")}.json`;
  const machine = { node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryBytes: totalmem() };
  await writeFile(path, `${JSON.stringify({ name, at: new Date().toISOString(), machine, ...figures }, null, 2)}\n`);
  return path;
}
