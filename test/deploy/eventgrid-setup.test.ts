// deploy/eventgrid: the az CLI script is run against a fake `az` that records its arguments (no Azure here),
// and the Bicep template's key properties are read from its text (no Bicep compiler here). Neither proves that
// Azure accepts them; docs/operations.md "Event Grid subscriptions" says what was and was not exercised.
import { spawnSync } from "node:child_process";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isKnownEventType } from "../../src/intake/schemas.js";

const SCRIPT = "deploy/eventgrid/subscriptions.sh";
const BICEP = "deploy/eventgrid/subscriptions.bicep";
const CALL_EVENTS = [
  "Microsoft.Communication.CallStarted",
  "Microsoft.Communication.CallEnded",
  "Microsoft.Communication.CallParticipantAdded",
  "Microsoft.Communication.CallParticipantRemoved",
  "Microsoft.Communication.RecordingFileStatusUpdated",
];
const STORAGE = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/dlq";
const baseEnv = {
  ACS_RESOURCE_ID: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Communication/communicationServices/acs",
  RESOURCE_GROUP: "rg",
  WEBHOOK_HOST: "recorder.example.com",
  EVENTGRID_SECRET: "0123abcd",
  DEADLETTER_STORAGE_ID: STORAGE,
};

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "fake-az-"));
  // `az`: appends its arguments as one JSON line; `system-topic show` answers "not found" unless told otherwise.
  await writeFile(
    join(dir, "az"),
    `#!/usr/bin/env node
const fs = require("node:fs");
const args = process.argv.slice(2);
fs.appendFileSync(process.env.AZ_LOG, JSON.stringify(args) + "\\n");
if (args[1] === "system-topic" && args[2] === "show" && process.env.AZ_TOPIC_EXISTS !== "1") process.exit(3);
`,
  );
  await chmod(join(dir, "az"), 0o755);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function run(env: Record<string, string>) {
  const log = join(dir, `az-${Math.random().toString(36).slice(2)}.log`);
  const result = spawnSync("bash", [SCRIPT], {
    env: { PATH: `${dir}:${process.env.PATH}`, AZ_LOG: log, ...env },
    encoding: "utf8",
  });
  const calls = (await readFile(log, "utf8").catch(() => ""))
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as string[]);
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, calls };
}

/** The values after `flag` up to the next flag. */
function flag(args: string[], name: string): string[] | undefined {
  const at = args.indexOf(name);
  if (at < 0) return undefined;
  const rest = args.slice(at + 1);
  const end = rest.findIndex((arg) => arg.startsWith("--"));
  return end < 0 ? rest : rest.slice(0, end);
}

describe("deploy/eventgrid/subscriptions.sh (against a fake az)", () => {
  it("creates the system topic and both subscriptions with the documented delivery settings", async () => {
    const { status, calls, stdout } = await run({
      ...baseEnv,
      INCOMING_CALL_RECIPIENTS: "8:acs:r_alice 4:+442071234567",
    });
    expect(status).toBe(0);
    expect(stdout).not.toContain("0123abcd");
    const [show, createTopic, incoming, events, ...more] = calls;
    expect(more).toEqual([]);
    expect(show?.slice(0, 3)).toEqual(["eventgrid", "system-topic", "show"]);
    expect(flag(createTopic!, "--topic-type")).toEqual(["Microsoft.Communication.CommunicationServices"]);
    expect(flag(createTopic!, "--source")).toEqual([baseEnv.ACS_RESOURCE_ID]);
    expect(flag(createTopic!, "--location")).toEqual(["global"]);

    for (const subscription of [incoming!, events!]) {
      expect(subscription.slice(0, 4)).toEqual(["eventgrid", "system-topic", "event-subscription", "create"]);
      expect(flag(subscription, "--endpoint")).toEqual(["https://recorder.example.com/api/eventgrid?code=0123abcd"]);
      expect(flag(subscription, "--endpoint-type")).toEqual(["webhook"]);
      expect(flag(subscription, "--system-topic-name")).toEqual(["acs-events"]);
    }
    expect(flag(incoming!, "--included-event-types")).toEqual(["Microsoft.Communication.IncomingCall"]);
    expect(flag(incoming!, "--max-delivery-attempts")).toEqual(["2"]);
    expect(flag(incoming!, "--event-ttl")).toEqual(["1"]);
    expect(flag(incoming!, "--advanced-filter")).toEqual([
      "data.to.rawId",
      "StringIn",
      "8:acs:r_alice",
      "4:+442071234567",
    ]);
    expect(flag(incoming!, "--deadletter-endpoint")).toBeUndefined();

    expect(flag(events!, "--included-event-types")).toEqual(CALL_EVENTS);
    expect(flag(events!, "--max-delivery-attempts")).toEqual(["30"]);
    expect(flag(events!, "--event-ttl")).toEqual(["1440"]);
    expect(flag(events!, "--deadletter-endpoint")).toEqual([
      `${STORAGE}/blobServices/default/containers/eventgrid-deadletter`,
    ]);
    expect(flag(events!, "--advanced-filter")).toBeUndefined();
  });

  it("reuses an existing system topic and sends no filter without recipients", async () => {
    const { status, calls } = await run({ ...baseEnv, AZ_TOPIC_EXISTS: "1", SYSTEM_TOPIC_NAME: "portal-topic" });
    expect(status).toBe(0);
    expect(calls.map((c) => c.slice(1, 3).join(" "))).toEqual([
      "system-topic show",
      "system-topic event-subscription",
      "system-topic event-subscription",
    ]);
    expect(flag(calls[1]!, "--system-topic-name")).toEqual(["portal-topic"]);
    expect(flag(calls[1]!, "--advanced-filter")).toBeUndefined();
  });

  it.each([
    ["a missing variable", { ...baseEnv, DEADLETTER_STORAGE_ID: "" }, /DEADLETTER_STORAGE_ID is required/],
    ["a secret that needs URL encoding", { ...baseEnv, EVENTGRID_SECRET: "a&b=c" }, /EVENTGRID_SECRET must use only/],
    ["a URL as host", { ...baseEnv, WEBHOOK_HOST: "https://x.example.com/" }, /host name/],
    [
      "more than 25 recipients",
      { ...baseEnv, INCOMING_CALL_RECIPIENTS: Array(26).fill("4:+1").join(" ") },
      /at most 25/,
    ],
  ])("stops before calling az on %s", async (_what, env, message) => {
    const { status, stderr, calls } = await run(env);
    expect(status).toBe(2);
    expect(stderr).toMatch(message);
    expect(calls).toEqual([]);
  });
});

describe("deploy/eventgrid/subscriptions.bicep (read as text)", () => {
  let bicep: string;
  const block = (symbol: string) => {
    const start = bicep.indexOf(`resource ${symbol} `);
    const end = bicep.slice(start + 1).search(/\n(resource|output) /);
    return bicep.slice(start, end < 0 ? undefined : start + 1 + end);
  };
  beforeAll(async () => {
    bicep = await readFile(BICEP, "utf8");
  });

  it("declares the IncomingCall subscription with 2 attempts, a 1-minute TTL and the optional callee filter", () => {
    const incoming = block("incomingCall");
    expect(incoming).toContain("'Microsoft.EventGrid/systemTopics/eventSubscriptions@2022-06-15'");
    expect(incoming).toMatch(/includedEventTypes: \[\s*'Microsoft\.Communication\.IncomingCall'\s*\]/);
    expect(incoming).toMatch(/maxDeliveryAttempts: 2\s+eventTimeToLiveInMinutes: 1\s/);
    expect(incoming).toMatch(/operatorType: 'StringIn'\s+key: 'data\.to\.rawId'/);
    expect(incoming).not.toContain("deadLetterDestination");
  });

  it("declares the calling-events subscription with the default retries and a blob dead letter", () => {
    const events = block("callEvents");
    const types = [...events.matchAll(/'(Microsoft\.Communication\.\w+)'/g)].map((m) => m[1]);
    expect(types).toEqual(CALL_EVENTS);
    expect(events).toMatch(/maxDeliveryAttempts: 30\s+eventTimeToLiveInMinutes: 1440\s/);
    expect(events).toMatch(/deadLetterDestination: \{\s*endpointType: 'StorageBlob'/);
    expect(events).toMatch(/blobContainerName: deadLetterContainer/);
  });

  it("sends the secret as ?code= to the webhook path, from a secure parameter", () => {
    expect(bicep).toMatch(/@secure\(\)\s*\n@description\([^\n]*\)\s*\nparam webhookSecret string/);
    expect(bicep).toContain(
      "var endpointUrl = 'https://${webhookHost}/api/eventgrid?code=${uriComponent(webhookSecret)}'",
    );
    expect(bicep.match(/endpointUrl: endpointUrl/g)).toHaveLength(2);
    expect(bicep).toMatch(/topicType: 'Microsoft\.Communication\.CommunicationServices'/);
  });

  it("subscribes only to event types the webhook accepts", () => {
    for (const type of [...CALL_EVENTS, "Microsoft.Communication.IncomingCall"])
      expect(isKnownEventType(type)).toBe(true);
  });
});
