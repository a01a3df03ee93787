import type { Command } from "commander";
import { indexManifest, manifestBlobs } from "../retrieval/index.js";
import { exitWith, withApiOptions } from "./api-options.js";
import type { Output } from "./policy-commands.js";
import { openAssignStores, openRetrievalStores } from "./queues.js";
import {
  assignCommand,
  downloadCommand,
  exportCommand,
  getCommand,
  listCommand,
  reindexCommand,
  verifyCommand,
  type ApiOptions,
  type ExportOptions,
  type ListOptions,
} from "./recordings-commands.js";

/** `recorder recordings list | get | download | verify | export | reindex | assign`. */
export function registerRecordingsCommands(program: Command, io: Output): void {
  const recordings = program
    .command("recordings")
    .description("find, play, check and export archived recordings (docs/recordings-api.md)");

  withApiOptions(recordings.command("list"))
    .description("recordings you may see, newest first")
    .option("--team <team>", "one team (auditors; a team token lists its own team)")
    .option("--from <time>", "recordings started at or after (ISO 8601)")
    .option("--to <time>", "recordings started before (ISO 8601)")
    .option("--participant <id>", "a participant: raw id (8:acs:…) or phone number (+44…)")
    .option(
      "--search <text>",
      "who was on it: a name, e-mail, employee id or phone number in any format (020 7123 4567)",
    )
    .option("--server-call-id <id>", "one call")
    .option("--min-duration <seconds>", "at least this long")
    .option("--max-duration <seconds>", "at most this long")
    .option("--outcome <outcome>", "required or best-effort")
    .option("--limit <n>", "per page (1-200)")
    .option("--all", "every page")
    .option("--json", "one JSON object per line")
    .action(async (options: ListOptions) => exitWith(await listCommand(options, io)));

  withApiOptions(recordings.command("get"))
    .argument("<recordingId>")
    .description("one recording: manifest, chunks, participants, channel map, policy")
    .action(async (recordingId: string, options: ApiOptions) => exitWith(await getCommand(recordingId, options, io)));

  withApiOptions(recordings.command("download"))
    .argument("<recordingId>")
    .option("--out <dir>", "where to write <dir>/<recording>/chunk-NNNN.wav and manifest.json", ".")
    .description("download every chunk and check its SHA-256 against the manifest (exit 1 on mismatch)")
    .action(async (recordingId: string, options: ApiOptions & { out: string }) =>
      exitWith(await downloadCommand(recordingId, options, io)),
    );

  withApiOptions(recordings.command("verify"))
    .argument("<recordingId>")
    .option("--json", "the report as JSON")
    .description("re-hash the archived chunks against the manifest (exit 1 when not intact)")
    .action(async (recordingId: string, options: ApiOptions & { json?: boolean }) =>
      exitWith(await verifyCommand(recordingId, options, io)),
    );

  withApiOptions(recordings.command("export"))
    .usage("--from <time> --to <time> [options]  |  --watch <exportId>")
    .description("bundle recordings, manifests, hashes and a chain of custody into the export container")
    .option("--from <time>", "required (unless --watch): recordings started at or after (ISO 8601)")
    .option("--to <time>", "required (unless --watch): recordings started before (ISO 8601)")
    .option("--team <team>", "one team (auditors; a team token exports its own team)")
    .option("--participant <id>", "only recordings with this participant")
    .option("--server-call-id <id>", "only this call")
    .option("--outcome <outcome>", "required or best-effort")
    .option("--label <text>", "a case reference for the chain of custody (the folder is always <team>/<exportId>)")
    .option("--format <format>", "zip (default): one signed bundle file; folder: the files side by side")
    .option("--watch <exportId>", "follow an export already requested")
    .action(async (options: ExportOptions) => exitWith(await exportCommand(options, io)));

  recordings
    .command("assign")
    .argument("<recordingId>", "the quarantined recording, as `recorder ledger gaps` names it")
    .requiredOption("--call <serverCallId>", "the call it belongs to")
    .requiredOption("--reason <text>", "why: for the audit trail")
    .option("--by <name>", "who assigns it (default: your user name)")
    .option("--team <team>", "the team, when no policy decision of the call names one")
    .option("--rule <rule>", "the rule whose retention applies (default: the call's, else the team's longest)")
    .description(
      "move a quarantined recording to its call: verified copy under the team with the policy's retention, listed, " +
        "in the ledger, audited (REDIS_URL, BLOB_CONNECTION_STRING, POLICY_DIR; docs/archive.md)",
    )
    .action(
      async (
        recordingId: string,
        options: { call: string; reason: string; by?: string; team?: string; rule?: string },
      ) => {
        const opened = await openAssignStores();
        try {
          exitWith(
            await assignCommand(
              opened.stores,
              {
                recordingId,
                serverCallId: options.call,
                by: options.by ?? opened.actor,
                reason: options.reason,
                team: options.team,
                rule: options.rule,
              },
              io,
            ),
          );
        } finally {
          opened.close();
        }
      },
    );

  recordings
    .command("reindex")
    .description("rebuild the listing index from the manifests in Blob (REDIS_URL, BLOB_CONNECTION_STRING)")
    .action(async () => {
      const stores = await openRetrievalStores();
      try {
        exitWith(
          await reindexCommand(
            {
              manifests: manifestBlobs(stores.container),
              index: (blob) => indexManifest(stores.container, stores.index, blob),
            },
            io,
          ),
        );
      } finally {
        stores.close();
      }
    });
}
