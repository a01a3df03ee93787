import type { Command } from "commander";
import { indexManifest, manifestBlobs } from "../retrieval/indexing.js";
import type { Output } from "./policy-commands.js";
import { openRetrievalStores } from "./queues.js";
import {
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

/** `recorder recordings list | get | download | verify | export | reindex`. */
export function registerRecordingsCommands(program: Command, io: Output): void {
  const recordings = program
    .command("recordings")
    .description("find, play, check and export archived recordings (docs/recordings-api.md)");
  const withApi = (command: Command) =>
    command
      .option("--url <url>", "the recorder's base URL", process.env.RECORDER_URL ?? "http://127.0.0.1:8080")
      .option("--token <token>", "a team or auditor API token (default: RECORDER_TOKEN)");
  const exitWith = (code: number) => {
    process.exitCode = code;
  };

  withApi(recordings.command("list"))
    .description("recordings you may see, newest first")
    .option("--team <team>", "one team (auditors; a team token lists its own team)")
    .option("--from <time>", "recordings started at or after (ISO 8601)")
    .option("--to <time>", "recordings started before (ISO 8601)")
    .option("--participant <id>", "a participant: raw id (8:acs:…) or phone number (+44…)")
    .option("--server-call-id <id>", "one call")
    .option("--min-duration <seconds>", "at least this long")
    .option("--max-duration <seconds>", "at most this long")
    .option("--outcome <outcome>", "required or best-effort")
    .option("--limit <n>", "per page (1-200)")
    .option("--all", "every page")
    .option("--json", "one JSON object per line")
    .action(async (options: ListOptions) => exitWith(await listCommand(options, io)));

  withApi(recordings.command("get"))
    .argument("<recordingId>")
    .description("one recording: manifest, chunks, participants, channel map, policy")
    .action(async (recordingId: string, options: ApiOptions) => exitWith(await getCommand(recordingId, options, io)));

  withApi(recordings.command("download"))
    .argument("<recordingId>")
    .option("--out <dir>", "where to write <dir>/<recording>/chunk-NNNN.wav and manifest.json", ".")
    .description("download every chunk and check its SHA-256 against the manifest (exit 1 on mismatch)")
    .action(async (recordingId: string, options: ApiOptions & { out: string }) =>
      exitWith(await downloadCommand(recordingId, options, io)),
    );

  withApi(recordings.command("verify"))
    .argument("<recordingId>")
    .option("--json", "the report as JSON")
    .description("re-hash the archived chunks against the manifest (exit 1 when not intact)")
    .action(async (recordingId: string, options: ApiOptions & { json?: boolean }) =>
      exitWith(await verifyCommand(recordingId, options, io)),
    );

  withApi(recordings.command("export"))
    .description("bundle recordings, manifests, hashes and a chain of custody into the export container")
    .option("--team <team>", "one team (auditors; a team token exports its own team)")
    .option("--from <time>", "recordings started at or after (ISO 8601)")
    .option("--to <time>", "recordings started before (ISO 8601)")
    .option("--participant <id>", "only recordings with this participant")
    .option("--server-call-id <id>", "only this call")
    .option("--outcome <outcome>", "required or best-effort")
    .option("--label <text>", "a case reference for the chain of custody (the folder is always <team>/<exportId>)")
    .option("--watch <exportId>", "follow an export already requested")
    .action(async (options: ExportOptions) => exitWith(await exportCommand(options, io)));

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
