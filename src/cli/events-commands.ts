import { userInfo } from "node:os";
import { blobServiceFromEnvironment } from "../azure/index.js";
import type { Command } from "commander";
import { replayDeadLetters, webhookDeliverer, type ReplayReport } from "../deadletter/index.js";
import {
  listQuarantine,
  quarantineAudit,
  settleQuarantined,
  type QuarantineRecord,
  type SettleAction,
} from "../intake/index.js";
import type { RedisClient } from "../redis/index.js";
import { openRedisForReading, openRedisForWriting } from "./queues.js";
import { parseSince } from "./ledger-commands.js";
import type { Output } from "./policy-commands.js";

export interface ReplayCommandOptions {
  container: string;
  since?: string;
  prefix?: string;
  dryRun?: boolean;
  url: string;
  json?: boolean;
}

/**
 * `recorder events replay`: dead-lettered Event Grid events (blobs in BLOB_CONNECTION_STRING's account) sent back
 * to the webhook with EVENTGRID_SECRET. Exit code 1 when any event was refused or not delivered, or a blob unreadable.
 */
export async function replayCommand(
  options: ReplayCommandOptions,
  env: Record<string, string | undefined>,
  io: Output,
): Promise<number> {
  const service = blobServiceFromEnvironment(env);
  if (!service) {
    io.err(
      "BLOB_CONNECTION_STRING (or BLOB_ACCOUNT_URL, with Microsoft Entra) is required: the storage account of the dead-letter container",
    );
    return 2;
  }
  const secret = env.EVENTGRID_SECRET?.split(",")[0]?.trim();
  if (!secret && !options.dryRun) {
    io.err("EVENTGRID_SECRET is required (the webhook's secret; with several, the first is used)");
    return 2;
  }
  const since = options.since ? parseSince(options.since, new Date()) : undefined;
  if (options.since && !since) {
    io.err("--since takes an ISO 8601 time or a duration like 24h / 7d");
    return 2;
  }
  const container = service.getContainerClient(options.container);
  const report = await replayDeadLetters(container, webhookDeliverer(options.url, secret ?? ""), {
    since,
    prefix: options.prefix,
    dryRun: options.dryRun,
    out: options.json ? () => undefined : io.out,
  });
  io.out(options.json ? JSON.stringify(report) : describeReport(report, !!options.dryRun));
  const { events, blobs } = report;
  return events.refused + events.failed + blobs.unreadable > 0 ? 1 : 0;
}

function describeReport({ blobs, events }: ReplayReport, dryRun: boolean): string {
  const seen = `${blobs.seen} dead-letter blob(s), ${blobs.alreadyReplayed} replayed before`;
  if (dryRun) return `${seen}; ${events.wouldSend} event(s) would be sent (dry run: nothing sent or marked)`;
  return (
    `${seen}; ${events.sent} event(s) sent: ${events.accepted} accepted, ${events.refused} refused, ` +
    `${events.failed} not delivered; ${blobs.replayed} blob(s) marked replayed, ${blobs.incomplete} to run again` +
    (blobs.unreadable > 0 ? `, ${blobs.unreadable} unreadable` : "")
  );
}

/** `recorder events quarantine list`: events the relay set aside, one line per event (exit code 1 when there are any). */
export async function quarantineListCommand(
  redis: RedisClient,
  prefix: string,
  options: { json?: boolean; audit?: boolean },
  io: Output,
): Promise<number> {
  if (options.audit) {
    const audit = await quarantineAudit(redis, prefix);
    if (options.json) for (const entry of audit) io.out(JSON.stringify(entry));
    else if (audit.length === 0) io.out("no quarantined event has been replayed or dropped");
    else
      for (const entry of audit)
        io.out(
          `${entry.at}  ${entry.action}  ${entry.record}  events=${entry.events.join(",")}  by=${entry.by}` +
            `${entry.note ? `  note=${entry.note}` : ""}  (was: ${entry.reason})`,
        );
    return 0;
  }
  const records = await listQuarantine(redis, prefix);
  if (options.json) {
    for (const record of records) io.out(JSON.stringify(record));
    return records.length > 0 ? 1 : 0;
  }
  if (records.length === 0) {
    io.out("the quarantine is empty");
    return 0;
  }
  for (const record of records) io.out(describeRecord(record));
  io.out(
    `${records.length} quarantined deliver${records.length === 1 ? "y" : "ies"}: ` +
      "`recorder events quarantine replay <id>` once fixed, or `… drop <id> --note <why>`",
  );
  return 1;
}

function describeRecord(record: QuarantineRecord): string {
  const events = record.events.map(
    (event) =>
      `    ${event.id}  ${event.type}${event.serverCallId ? `  call=${event.serverCallId}` : ""}  ${event.reason}`,
  );
  return [
    `${record.id}  set aside ${record.quarantinedAt} (${record.stage}), received ${record.receivedAt} on ${record.channel}, ` +
      `body ${record.bodyBytes} bytes sha256=${record.bodySha256}`,
    ...events,
  ].join("\n");
}

/**
 * `recorder events quarantine replay|drop <id>`: a replayed delivery goes back into the outbox and through the relay
 * (set aside again, with a new id, if it still fails); a dropped one is deleted. Both are audited. Exit code 1 when
 * the id is not in the quarantine.
 */
export async function quarantineSettleCommand(
  redis: RedisClient,
  prefix: string,
  action: SettleAction,
  id: string,
  options: { by?: string; note?: string },
  io: Output,
): Promise<number> {
  if (action === "drop" && !options.note?.trim()) {
    io.err("drop needs --note <why>: the audit record says why the events were given up");
    return 2;
  }
  const by = options.by ?? process.env.USER ?? userInfo().username;
  const record = await settleQuarantined(redis, prefix, id, action, { by, note: options.note?.trim() ?? "" });
  if (!record) {
    io.err(`${id} is not in the quarantine (\`recorder events quarantine list\`)`);
    return 1;
  }
  const events = record.events.map((event) => event.id).join(", ");
  io.out(
    action === "replay"
      ? `${id}: ${record.events.length} event(s) back in the outbox (${events}); a worker's relay queues them, or sets them aside again if they still fail`
      : `${id}: ${record.events.length} event(s) dropped (${events}); audited as dropped by ${by}`,
  );
  return 0;
}

export function registerEventsCommands(program: Command, io: Output): void {
  const events = program.command("events").description("Event Grid events");
  const quarantine = events
    .command("quarantine")
    .description("events the outbox relay set aside because they could not be queued (REDIS_URL, REDIS_PREFIX)");
  quarantine
    .command("list")
    .description("each quarantined delivery, its events and why (exit code 1 when there are any)")
    .option("--json", "one JSON object per delivery")
    .option("--audit", "what was replayed or dropped, by whom and why, instead")
    .action(async (options: { json?: boolean; audit?: boolean }) => {
      const { redis, prefix, close } = await openRedisForReading();
      try {
        process.exitCode = await quarantineListCommand(redis, prefix, options, io);
      } finally {
        close();
      }
    });
  for (const action of ["replay", "drop"] as const) {
    quarantine
      .command(action)
      .description(
        action === "replay"
          ? "send a quarantined delivery's events back through the relay (after the fix), audited"
          : "give up a quarantined delivery's events, audited (--note says why)",
      )
      .argument("<id>", "the quarantine id `list` prints")
      .option("--note <text>", action === "replay" ? "what was fixed" : "why the events are given up (required)")
      .option("--by <name>", "who does it (default: $USER)")
      .action(async (id: string, options: { note?: string; by?: string }) => {
        const { redis, prefix, close } = await openRedisForWriting();
        try {
          process.exitCode = await quarantineSettleCommand(redis, prefix, action, id, options, io);
        } finally {
          close();
        }
      });
  }
  events
    .command("replay")
    .description(
      "send dead-lettered events (Event Grid's blobs) back to the webhook; BLOB_CONNECTION_STRING, EVENTGRID_SECRET",
    )
    .requiredOption("--container <name>", "the dead-letter container of the Event Grid subscription")
    .option("--since <time>", "only blobs written since: ISO 8601, or 90m, 24h, 7d")
    .option("--prefix <prefix>", "only blob names starting with this (e.g. RECORDER-CALL-EVENTS/)")
    .option("--dry-run", "list the events, send nothing, mark nothing")
    .option("--url <url>", "the webhook's base URL", process.env.RECORDER_URL ?? "http://127.0.0.1:8080")
    .option("--json", "print the counts as JSON")
    .action(async (options: ReplayCommandOptions) => {
      process.exitCode = await replayCommand(options, process.env, io);
    });
}
