import { blobServiceFromEnvironment } from "../azure/credentials.js";
import type { Command } from "commander";
import { replayDeadLetters, webhookDeliverer, type ReplayReport } from "../deadletter/replay.js";
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

export function registerEventsCommands(program: Command, io: Output): void {
  program
    .command("events")
    .description("Event Grid events")
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
