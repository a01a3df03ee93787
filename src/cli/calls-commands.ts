import { randomBytes } from "node:crypto";
import type { Command } from "commander";
import { sha256Hex } from "../auth/index.js";
import { fetchOrExplain } from "./reach.js";

interface ActOptions {
  reason: string;
  url: string;
  token?: string;
}

type Operation = "pause" | "resume" | "stop";

async function act(serverCallId: string, operation: Operation, options: ActOptions): Promise<void> {
  const token = options.token ?? process.env.RECORDER_TOKEN;
  if (!token) throw new Error("an API token is needed: --token TOKEN, or RECORDER_TOKEN in the environment");
  const response = await fetchOrExplain(
    `${options.url.replace(/\/$/, "")}/api/calls/${encodeURIComponent(serverCallId)}/recording:${operation}`,
    {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ reason: options.reason }),
    },
    "the recorder",
  );
  const text = await response.text();
  if (response.status !== 202) throw new Error(`${operation} refused: HTTP ${response.status} ${text}`);
  console.log(
    `${operation} accepted for ${serverCallId} (reason ${options.reason}); the recording state follows shortly`,
  );
}

/** What each operation's `--reason` is, and what the command says it does. */
const OPERATIONS: Record<Operation, { reason: string; description: string }> = {
  pause: {
    reason: "reason code for the audit trail, e.g. card-capture",
    description: "pause the recording of one of your team's calls (PCI)",
  },
  resume: {
    reason: "reason code for the audit trail, e.g. card-capture",
    description: "resume the recording of one of your team's calls",
  },
  stop: {
    reason: "a reason code the team's policy lists under stop.reasons, e.g. customer-objection",
    description:
      "stop the recording of one of your team's calls for good (best-effort recordings whose policy allows it; never a required one)",
  },
};

/** `recorder calls pause|resume|stop` and `recorder tokens new`. */
export function registerCallsCommands(program: Command): void {
  const calls = program
    .command("calls")
    .description("act on calls in progress (PCI pause and resume, stop on request)");
  for (const [operation, { reason, description }] of Object.entries(OPERATIONS) as [
    Operation,
    (typeof OPERATIONS)[Operation],
  ][]) {
    calls
      .command(operation)
      .argument("<serverCallId>", "the call")
      .requiredOption("--reason <code>", reason)
      .option("--url <url>", "the recorder's base URL", process.env.RECORDER_URL ?? "http://127.0.0.1:8080")
      .option("--token <token>", "a team API token (default: RECORDER_TOKEN)")
      .description(description)
      .action((serverCallId: string, options: ActOptions) => act(serverCallId, operation, options));
  }

  program
    .command("tokens")
    .description("API tokens")
    .command("new")
    .requiredOption("--name <name>", "who holds it (appears in the audit trail)")
    .option("--team <team>", "the team it acts for (omit with --role auditor or admin)")
    .option("--role <role>", "team, auditor, or admin (the queue board at /admin/queues)", "team")
    .description("make a new token: prints it once, and the line to add to API_TOKENS_FILE (only its hash is stored)")
    .action((options: { name: string; team?: string; role: string }) => {
      if (!["team", "auditor", "admin"].includes(options.role)) throw new Error("--role is team, auditor or admin");
      if (options.role === "team" && !options.team) throw new Error("--team is needed for a team token");
      const token = randomBytes(32).toString("base64url");
      const team = options.role === "team" ? `, team: ${options.team}` : "";
      console.log(`token (give it to ${options.name}; it is not stored anywhere): ${token}`);
      console.log(`add under "tokens:" in API_TOKENS_FILE:`);
      console.log(`  - { name: ${options.name}, role: ${options.role}${team}, sha256: ${sha256Hex(token)} }`);
    });
}
