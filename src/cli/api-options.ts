import type { Command } from "commander";

/** The options of every command that talks to the recorder's HTTP API (`recorder recordings …`, `recorder reviews …`). */
export function withApiOptions(command: Command): Command {
  return command
    .option("--url <url>", "the recorder's base URL", process.env.RECORDER_URL ?? "http://127.0.0.1:8080")
    .option("--token <token>", "a team or auditor API token (default: RECORDER_TOKEN)");
}

/** Sets the exit status without exiting: output still being written is not cut off. */
export function exitWith(code: number): void {
  process.exitCode = code;
}
