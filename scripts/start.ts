/**
 * `npm start`: runs the whole system locally — Redis (found or started), Azurite, the ACS simulator,
 * the webhook and a worker of every role (WORKER_ROLE=all) — prints what to try next, and stops everything it
 * started on Ctrl-C.
 */
import { createHash, randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { ALICE, BOB, LOCAL_RESOURCE_ID, localAppEnv } from "./local-stack/app-env.js";
import { projectRoot, startAppProcess, WORKER_NODE_FLAGS, type Readiness } from "./local-stack/processes.js";
import { policyNotice } from "./local-stack/policy-notices.js";
import { ensureSystemTool, REDIS_SERVER } from "./local-stack/system-packages.js";
import { freePort, redisAnswers, startAzurite, startPrivateRedis, waitForPort } from "./local-stack/services.js";
import { firstAddress, parseRedisUrl } from "../src/redis/index.js";

// LOCAL_DATA_DIR: where this stack keeps Azurite's blobs, logs, tokens and stack.json (default data/).
const dataDir = resolve(process.env.LOCAL_DATA_DIR ?? join(projectRoot, "data"));
const logDir = join(dataDir, "logs");
const stackFile = join(dataDir, "stack.json");

const cleanups: (() => Promise<unknown>)[] = [];
let stopping = false;

function say(line = "") {
  process.stdout.write(`${line}\n`);
}

async function shutdown(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    say("\nStopping everything npm start started…");
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  }
  process.exit(code);
}

async function portOr(preferred: number): Promise<number> {
  return (await redisAnswers("127.0.0.1", preferred, 200)) || (await portInUse(preferred)) ? freePort() : preferred;
}

async function portInUse(port: number): Promise<boolean> {
  try {
    await waitForPort("127.0.0.1", port, 0);
    return true;
  } catch {
    return false;
  }
}

/** Starts one of our processes; if it dies later, shows its last log lines and stops everything. */
async function startProcess(
  name: string,
  entry: string,
  env: Record<string, string>,
  ready: Readiness,
  nodeFlags: readonly string[] = [],
): Promise<void> {
  const started = await startAppProcess(name, entry, env, ready, logDir, nodeFlags);
  cleanups.push(() => started.stop());
  // A policy reload the process refused (or accepted) is said here, not only in its JSON log.
  let partial = "";
  started.child.stdout?.on("data", (data: Buffer) => {
    const lines = (partial + data.toString()).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) {
      const notice = policyNotice(name, line);
      if (notice) say(notice);
    }
  });
  started.child.once("exit", (code) => {
    if (stopping) return;
    void readFile(started.log, "utf8").then((text) => {
      say(`\n${name} exited with code ${code}. Last lines of ${started.log}:`);
      say(text.split("\n").slice(-20).join("\n"));
      void shutdown(1);
    });
  });
}

async function findRedis(): Promise<string> {
  if (process.env.REDIS_URL) {
    // A Cluster or Sentinel URL: its first node or Sentinel must answer.
    const first = firstAddress(parseRedisUrl(process.env.REDIS_URL));
    if (!(await redisAnswers(first.host, first.port, 2_000))) {
      throw new Error(`REDIS_URL=${process.env.REDIS_URL} does not answer PING. Start that Redis or unset REDIS_URL.`);
    }
    return process.env.REDIS_URL;
  }
  if (await redisAnswers("127.0.0.1", 6379)) return "redis://127.0.0.1:6379";
  const tools = ensureSystemTool(REDIS_SERVER, say);
  if (!tools.ok)
    throw new Error(`Redis is needed and none answers on 127.0.0.1:6379. ${tools.problem} Or set REDIS_URL.`);
  const redis = await startPrivateRedis();
  cleanups.push(() => redis.stop());
  return redis.url;
}

/**
 * One `npm start` per directory. A second one would share the first's Redis prefix, Azurite folder and
 * data/stack.json: the first stack's worker would take the second's jobs, and stopping either would remove the
 * other's files. The claim is a pid file, taken atomically; one left by a stack that died is taken over.
 */
async function claimDirectory(): Promise<void> {
  const pidFile = join(dataDir, "start.pid");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(pidFile, String(process.pid), { flag: "wx" });
      cleanups.push(() => rm(pidFile, { force: true }));
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const pid = Number((await readFile(pidFile, "utf8").catch(() => "")).trim());
    if (Number.isInteger(pid) && pid > 0 && isStartProcess(pid)) {
      throw new Error(
        `npm start is already running with ${dataDir} (pid ${pid}; its URLs are in ${stackFile}). ` +
          `Stop it first (Ctrl-C in its terminal, or \`kill ${pid}\`): a second stack would share its Redis prefix and data.`,
      );
    }
    await rm(pidFile, { force: true }); // left by a stack that did not stop cleanly
  }
  throw new Error(`could not claim ${pidFile}: another npm start is starting with ${dataDir}`);
}

/** True when `pid` is a live `npm start` of this project (not a process that reused a dead one's pid). */
function isStartProcess(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  const cmdline = `/proc/${pid}/cmdline`;
  if (!existsSync(cmdline)) return true; // no /proc: alive is all that can be known
  try {
    return readFileSync(cmdline, "utf8").includes("scripts/start.ts");
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  // npm forwards SIGTERM and SIGINT to this process (the start script execs node): both stop everything, and so
  // does the terminal going away (SIGHUP). A closed terminal must not crash the shutdown on its first line (EPIPE).
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.once(signal, () => void shutdown(0));
  process.stdout.on("error", () => undefined);
  await mkdir(logDir, { recursive: true });
  await claimDirectory();

  const redisUrl = await findRedis();
  say(`Redis      ${redisUrl}`);

  let blobConnectionString = process.env.BLOB_CONNECTION_STRING;
  if (!blobConnectionString) {
    const azuriteDir = join(dataDir, "azurite");
    await mkdir(azuriteDir, { recursive: true });
    const azurite = await startAzurite(azuriteDir, await portOr(10000));
    cleanups.push(() => azurite.stop());
    blobConnectionString = azurite.connectionString;
    say(`Azurite    http://127.0.0.1:${azurite.port} (blob data in ${azuriteDir})`);
  }

  const accessKey = randomBytes(32).toString("base64");
  const simulatorPort = await portOr(8480);
  const simulatorUrl = `http://127.0.0.1:${simulatorPort}`;
  await startProcess(
    "simulator",
    "simulator/main.ts",
    { SIM_PORT: String(simulatorPort), SIM_ACCESS_KEY: accessKey, SIM_RESOURCE_ID: LOCAL_RESOURCE_ID },
    { port: simulatorPort },
  );
  say(`Simulator  ${simulatorUrl} (a local stand-in for Azure Communication Services)`);

  const webhookPort = await portOr(8080);
  const webhookUrl = `http://127.0.0.1:${webhookPort}`;
  const secret = randomBytes(16).toString("hex");
  const tokensFile = process.env.API_TOKENS_FILE ?? join(dataDir, "api-tokens.yaml");
  const workerHttpPort = await portOr(8081);
  const redisPrefix = process.env.REDIS_PREFIX ?? "cr-local";
  const blobContainer = process.env.BLOB_CONTAINER ?? "recordings";
  const policyDir = process.env.POLICY_DIR ?? "policies";
  // API tokens (recordings API and CLI, bull-board at /admin/queues): the configured file, else fresh local
  // ones each start — a trading-desk reviewer, an auditor and an admin.
  const localTokens = process.env.API_TOKENS_FILE ? undefined : await writeLocalTokens(tokensFile);
  if (localTokens) cleanups.push(() => rm(tokensFile, { force: true }));
  const adminToken = localTokens?.admin;
  const appEnv = localAppEnv(
    {
      simulator: {
        connectionString: `endpoint=${simulatorUrl}/;accesskey=${accessKey}`,
        openIdConfigurationUrl: `${simulatorUrl}/calling/.well-known/acsopenidconfiguration`,
        url: simulatorUrl,
      },
      resourceId: LOCAL_RESOURCE_ID,
      redisUrl,
      redisPrefix,
      blobConnectionString,
      eventGridSecret: secret,
    },
    { port: webhookPort },
    {
      BLOB_CONTAINER: blobContainer,
      POLICY_DIR: policyDir,
      LOG_LEVEL: process.env.LOG_LEVEL ?? "info",
      API_TOKENS_FILE: tokensFile,
    },
  );
  await startProcess("webhook", "src/main.ts", appEnv, { port: webhookPort });
  say(`Webhook    ${webhookUrl} (POST /api/eventgrid, POST /api/callbacks, GET /healthz, GET /readyz)`);

  await startProcess(
    "worker",
    "workers/main.ts",
    // One worker of every role, as small installs run (docs/operations.md "Worker roles").
    { ...appEnv, WORKER_HTTP_PORT: String(workerHttpPort), WORKER_ROLE: "all" },
    { logLine: "workers running" },
    WORKER_NODE_FLAGS,
  );
  say(
    `Worker     running, role all (call events, recording control, ingest, exports, periodic jobs); http://127.0.0.1:${workerHttpPort}/metrics`,
  );
  say(`Policies   ${policyDir}: edits are reloaded by both; a refused change is shown here`);
  say(
    `Queues     ${webhookUrl}/admin/login` +
      (adminToken ? ` (admin token: ${adminToken})` : ` (an admin token of ${tokensFile})`),
  );

  // Subscribe the webhook to the simulator's Event Grid, as `az eventgrid event-subscription create` would.
  const subscription = await fetch(`${simulatorUrl}/simulator/eventgrid-subscription`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ endpointUrl: `${webhookUrl}/api/eventgrid?code=${secret}` }),
  });
  if (!subscription.ok)
    throw new Error(`Event Grid subscription failed: ${subscription.status} ${await subscription.text()}`);
  say(`Event Grid subscription validated (webhook secret in ${stackFile})`);

  await writeFile(
    stackFile,
    JSON.stringify(
      {
        startedAt: new Date().toISOString(),
        simulatorUrl,
        webhookUrl,
        redisUrl,
        redisPrefix,
        blobConnectionString,
        blobContainer,
        eventGridSecret: secret,
        demo: { from: ALICE, to: BOB, teamId: "trading-desk" },
      },
      null,
      2,
    ),
  );
  cleanups.push(() => rm(stackFile, { force: true }));

  say("");
  say(`Everything is running. Logs: ${logDir}/{simulator,webhook,worker}.log`);
  say("Try next, in another terminal:");
  say("  npm run demo                    # a call between two trading-desk members, recorded and archived");
  say(`  curl ${webhookUrl}/readyz        # and ${webhookUrl}/metrics`);
  say(`  curl -X POST ${simulatorUrl}/simulator/calls -H 'content-type: application/json' \\`);
  say(`       -d '{"from":"${ALICE}","to":"${BOB}","durationMs":5000}'`);
  if (localTokens) {
    say("");
    say(`QA retrieval (docs/recordings-api.md), tokens made for this run (only their hashes are in ${tokensFile}):`);
    say(`  trading-desk reviewer  ${localTokens.desk}`);
    say(`  auditor                ${localTokens.auditor}`);
    say(`  QA page                ${webhookUrl}/qa   (sign in with the trading-desk reviewer token above)`);
    say(`  npm run recorder -- recordings list --url ${webhookUrl} --token ${localTokens.desk}`);
  } else {
    say("");
    say(`QA page    ${webhookUrl}/qa (sign in with a token of ${tokensFile})`);
  }
  say("Press Ctrl-C to stop everything.");
}

/** A trading-desk reviewer's, an auditor's and an admin's token, hashed into the tokens file; printed once. */
async function writeLocalTokens(path: string): Promise<{ desk: string; auditor: string; admin: string }> {
  const [desk, auditor, admin] = [0, 1, 2].map(() => randomBytes(24).toString("base64url")) as [string, string, string];
  const sha256 = (token: string) => createHash("sha256").update(token).digest("hex");
  await writeFile(
    path,
    `# Written by npm start for this run (the tokens were printed once). Format: docs/api.md "API tokens".
tokens:
  - { name: local-desk-reviewer, role: team, team: trading-desk, sha256: ${sha256(desk)} }
  - { name: local-auditor, role: auditor, sha256: ${sha256(auditor)} }
  - { name: local-admin, role: admin, sha256: ${sha256(admin)} }
`,
  );
  return { desk, auditor, admin };
}

main().catch((error: unknown) => {
  say(`\nnpm start failed: ${(error as Error).message}`);
  void shutdown(1);
});
