import { sinkResult } from "../../src/intake/sink.js";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256Hex, tokenStore } from "../../src/auth/tokens.js";
import { createApp } from "../../src/http/app.js";
import { createLogger } from "../../src/log.js";
import { metrics } from "../../src/metrics.js";
import { createOpsApp } from "../../src/http/ops.js";
import { createPolicySource, decide, policyReadiness, type PolicySource } from "../../src/policy/index.js";
import { countPolicyReload } from "../../src/runtime.js";
import { createWorkerHttp } from "../../workers/http.js";
import { ALICE, BOB } from "../support/stack.js";
import { listen } from "../support/http.js";

// Hot reload as the running webhook sees it: a real policy directory, the real watcher, /readyz over HTTP — the
// public port with an admin token, the internal ops port, and the worker's probe port.

let dir: string;
let source: PolicySource;
let server: Server;
let base: string;
let ops: { server: Server; base: string };
let worker: { server: Server; base: string };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "policy-reload-"));
  await cp("policies", dir, { recursive: true });
  source = await createPolicySource(dir, createLogger("silent", "test"), {
    onReload: countPolicyReload,
    debounceMs: 20,
    recheckMs: 500,
  });
  const app = createApp({
    logger: createLogger("silent", "test"),
    sink: { accept: async (_channel, { events }) => sinkResult(events.map(() => true)) },
    callbackVerifier: { verify: async () => undefined },
    eventGridSecrets: ["s"],
    recordingHostSuffixes: [".asm.skype.com"],
    maxBodyBytes: 1024,
    readiness,
    info: () => ({ policies: source.status() }),
    tokens: tokenStore([{ name: "ops", role: "admin", sha256: sha256Hex("admin-token") }]),
  });
  ({ server, base } = await listen(app));
  ops = await listen(createOpsApp({ readiness, info: () => ({ policies: source.status() }) }));
  const heartbeat = { started: Promise.resolve(), lastBeatAt: () => Date.now(), stop: async () => undefined };
  worker = await listen(createWorkerHttp({ ping: async () => "PONG", heartbeat, policies: source.status }));
});
afterAll(async () => {
  source.close();
  for (const s of [server, ops.server, worker.server]) await new Promise<void>((resolve) => s.close(() => resolve()));
  await rm(dir, { recursive: true, force: true });
});

// The webhook's policies check (src/webhook.ts): degraded while a change on disk is refused.
const readiness = { policies: async () => policyReadiness(source.status()) };

interface Readiness {
  ready: boolean;
  checks: Record<string, string>;
  info: { policies: { hash: string; files: { file: string }[]; reloadError?: string[] } };
}
// The detailed readiness (the policy set in force) is for admin tokens (or the ops port).
const readyz = async () =>
  (await (await fetch(`${base}/readyz`, { headers: { authorization: "Bearer admin-token" } })).json()) as Readiness;
/** Status and body of each detailed /readyz: public port with an admin token, ops port, worker port. */
const everyReadyz = async () =>
  Promise.all(
    [
      fetch(`${base}/readyz`, { headers: { authorization: "Bearer admin-token" } }),
      fetch(`${ops.base}/readyz`),
      fetch(`${worker.base}/readyz`),
    ].map(async (answer) => {
      const response = await answer;
      return { status: response.status, ...((await response.json()) as Omit<Readiness, "info">) };
    }),
  );

async function until(probe: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const metric = async (name: string) =>
  (await metrics.getSingleMetricAsString(name)).split("\n").filter((l) => !l.startsWith("#"));

describe("policy hot reload", () => {
  it("/readyz reports the hash in force; a valid edit is swapped in for new decisions; an invalid one is refused", async () => {
    const initial = await readyz();
    expect(initial.ready).toBe(true);
    for (const answer of await everyReadyz()) expect(answer).toMatchObject({ status: 200, checks: { policies: "ok" } });
    expect(initial.info.policies.hash).toBe(source.hash());
    expect(initial.info.policies.files.map((f) => f.file)).toEqual([
      "customer-support.yaml",
      "legal.yaml",
      "trading-desk.yaml",
    ]);
    const call = { participants: [ALICE, BOB], caller: ALICE, callee: BOB, at: "2026-11-23T09:00:00Z" };
    expect(decide(source.current(), call)).toMatchObject({ record: true, retention: { days: 2555 } });

    const deskFile = join(dir, "trading-desk.yaml");
    const desk = await readFile(deskFile, "utf8");
    await writeFile(deskFile, desk.replace("days: 2555", "days: 3650"));
    await until(
      async () => (await readyz()).info.policies.hash !== initial.info.policies.hash,
      "the edit to be loaded",
    );
    expect(decide(source.current(), call)).toMatchObject({
      record: true,
      retention: { days: 3650 },
      policySetHash: source.hash(),
    });

    const good = source.hash();
    await writeFile(deskFile, desk.replace("format: wav", "format: mp3"));
    // writeFile truncates first: a reload may see the empty file (refused too) before the broken edit.
    await until(
      async () => /rules\.0\.recording\.format/.test((await readyz()).info.policies.reloadError?.[0] ?? ""),
      "the broken edit to be refused",
    );
    const refused = await readyz();
    expect(refused.ready).toBe(true);
    expect(refused.info.policies.hash).toBe(good);
    expect(refused.info.policies.reloadError?.[0]).toMatch(/^trading-desk\.yaml:\d+:\d+: rules\.0\.recording\.format/);
    // Every detailed /readyz says so, naming the file and the reason, and stays ready: the previous set is in force.
    const degraded = new RegExp(
      `^degraded: policy change refused: trading-desk\\.yaml:\\d+:\\d+: rules\\.0\\.recording\\.format[^;]*; ` +
        `the previous policies \\(${good.slice(0, 12)}\\) stay in force$`,
    );
    for (const answer of await everyReadyz()) {
      expect(answer.status).toBe(200);
      expect(answer.ready).toBe(true);
      expect(answer.checks.policies).toMatch(degraded);
    }
    expect(await metric("policy_load_errors")).toContain("policy_load_errors 1");
    expect((await metric("policy_reloads_total")).join("\n")).toMatch(/policy_reloads_total\{result="failure"\} [1-9]/);

    await writeFile(deskFile, desk);
    await until(async () => (await readyz()).info.policies.reloadError === undefined, "the fix to be loaded");
    expect((await readyz()).info.policies.hash).toBe(initial.info.policies.hash);
    expect(await metric("policy_load_errors")).toContain("policy_load_errors 0");
    for (const answer of await everyReadyz()) expect(answer).toMatchObject({ status: 200, checks: { policies: "ok" } });
  });
});
