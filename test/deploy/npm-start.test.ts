// `npm start` as a user runs it: the whole local stack comes up and says where the QA page is; a policy change the
// processes refuse is said in its terminal; a second start with the same data is refused without disturbing the
// first; SIGTERM to the npm process stops every process it started.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { cp, mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, inject, it } from "vitest";
import { projectRoot } from "../../scripts/local-stack/processes.js";
import { deleteKeysMatching } from "../../scripts/local-stack/services.js";
import { createRedisClient } from "../../src/redis/index.js";

interface Run {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

const started: Run[] = [];
let dataDir: string;
const prefix = `${inject("runId")}-npm-start`;

function npmStart(env: Record<string, string>): Run {
  const child = spawn("npm", ["start"], {
    cwd: projectRoot,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (data: Buffer) => (output += data.toString()));
  child.stderr?.on("data", (data: Buffer) => (output += data.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const run = { child, output: () => output, exited };
  started.push(run);
  return run;
}

async function waitForOutput(run: Run, text: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!run.output().includes(text)) {
    if (run.child.exitCode !== null) throw new Error(`npm start exited (${run.child.exitCode}):\n${run.output()}`);
    if (Date.now() > deadline) throw new Error(`no "${text}" after ${timeoutMs} ms:\n${run.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Every live descendant of `pid` (from /proc), so that the test can check that none outlives the stack. */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  const found: number[] = [];
  const visit = (p: number) => {
    for (const child of children.get(p) ?? []) {
      found.push(child);
      visit(child);
    }
  };
  visit(pid);
  return found;
}

const alive = (pid: number) =>
  existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, "utf8").includes(") Z ");

afterAll(async () => {
  for (const run of started) if (run.child.exitCode === null) run.child.kill("SIGTERM");
  await Promise.all(started.map((run) => run.exited));
  const redis = createRedisClient(inject("redisUrl"), { maxRetriesPerRequest: 1 });
  await deleteKeysMatching(redis, `${prefix}*`);
  await redis.quit();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe("npm start", () => {
  it("starts everything and names the QA page; says a refused policy change; refuses a second start; stops everything on SIGTERM", async () => {
    dataDir = await mkdtemp(join(tmpdir(), "npm-start-"));
    const policyDir = join(dataDir, "policies");
    await cp(join(projectRoot, "policies"), policyDir, { recursive: true });
    const env = { LOCAL_DATA_DIR: dataDir, REDIS_URL: inject("redisUrl"), REDIS_PREFIX: prefix, POLICY_DIR: policyDir };
    const first = npmStart(env);
    await waitForOutput(first, "Press Ctrl-C to stop everything.", 90_000);
    expect(first.output()).toMatch(/QA page\s+http:\/\/127\.0\.0\.1:\d+\/qa/);
    expect(existsSync(join(dataDir, "stack.json"))).toBe(true);

    // An invalid edit: both processes refuse it, and the terminal says so, naming the file and the reason.
    const deskFile = join(policyDir, "trading-desk.yaml");
    const edited = join(dataDir, "trading-desk.yaml"); // written beside, then renamed in: no half-written file is read
    await writeFile(edited, (await readFile(deskFile, "utf8")).replace("format: wav", "format: flac"));
    await rename(edited, deskFile);
    for (const name of ["webhook", "worker"]) {
      await waitForOutput(first, `Policies   ${name} REFUSED the policy change in ${policyDir}`, 45_000);
    }
    expect(first.output()).toMatch(
      /REFUSED the policy change[^\n]*\n\s+trading-desk\.yaml:\d+:\d+: rules\.0\.recording\.format/,
    );

    const second = npmStart(env);
    expect(await second.exited).not.toBe(0);
    expect(second.output()).toContain("npm start is already running with");
    expect(second.output()).toContain("Stop it first");
    // The refused start removed nothing of the first's and started nothing.
    expect(existsSync(join(dataDir, "stack.json"))).toBe(true);
    expect(existsSync(join(dataDir, "start.pid"))).toBe(true);

    const processes = descendants(first.child.pid!);
    expect(processes.length).toBeGreaterThanOrEqual(5); // node, Azurite, simulator, webhook, worker
    first.child.kill("SIGTERM");
    expect(await first.exited).toBe(0);
    const deadline = Date.now() + 15_000;
    while (processes.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(processes.filter(alive)).toEqual([]);
    expect(existsSync(join(dataDir, "stack.json"))).toBe(false);
    expect(existsSync(join(dataDir, "start.pid"))).toBe(false);
  }, 150_000);
});
