import { Command } from "commander";
import { CallsFileError, PolicyError } from "../policy/index.js";
import { registerCallsCommands } from "./calls-commands.js";
import { bundleVerifyCommand } from "./bundle-commands.js";
import { runDemo } from "./demo.js";
import { registerEventsCommands } from "./events-commands.js";
import { failedCommand, retryCommand } from "./jobs-commands.js";
import { gapsCommand } from "./ledger-commands.js";
import { openReconcileDependencies, reconcileCommand, type ReconcileOptions } from "./reconcile-commands.js";
import { evidenceSigner, openEvidenceStores, openLedger, openQueues } from "./queues.js";
import { checkpointCommand, publicKeyCommand, trustedVerifier, verifyCommand } from "./evidence-commands.js";
import { Unreachable } from "./reach.js";
import { registerRecordingsCommands } from "./recordings-register.js";
import { registerReviewsCommands } from "./reviews-commands.js";
import { diffCommand, explainCommand, lintCommand, type Output } from "./policy-commands.js";

const program = new Command("recorder").description("compliance-recorder command line").showHelpAfterError();

program
  .command("demo")
  .description("place a simulated call on the running local stack (npm start) and print its archived recording")
  .option("--duration <seconds>", "call length", "4")
  .option("--timeout <seconds>", "give up after", "60")
  .action(async (options: { duration: string; timeout: string }) => {
    const ok = await runDemo({
      durationMs: Number(options.duration) * 1000,
      timeoutMs: Number(options.timeout) * 1000,
      out: (line) => console.log(line),
    });
    process.exitCode = ok ? 0 : 1;
  });

const terminal: Output = { out: (line) => console.log(line), err: (line) => console.error(line) };
const defaultPolicyDir = process.env.POLICY_DIR ?? "policies";
const collect = (value: string, previous: string[]) => [...previous, value];

const policy = program.command("policy").description("team policy files (docs/policies.md)");
policy
  .command("lint")
  .argument("[dir]", "policy directory", defaultPolicyDir)
  .description("validate every policy file: errors (exit code 1) and warnings, with file:line:column")
  .action(async (dir: string) => {
    process.exitCode = await lintCommand(dir, terminal);
  });
policy
  .command("explain")
  .description("decide one call and say which rule of which file decided it, and why")
  .requiredOption("--from <participant>", "the caller: a raw id (8:acs:…) or a phone number (+44…)")
  .requiredOption("--to <participant>", "the callee: a raw id or a phone number")
  .option("--with <participant>", "another participant of a group call (repeatable)", collect, [])
  .option("--at <time>", "when the call starts, ISO 8601 with offset (default: now)")
  .option("--call-key <serverCallId>", "the call's id, for QA sampling (without it, sampling is not applied)")
  .option("--dir <dir>", "policy directory", defaultPolicyDir)
  .option(
    "--located <participant=location>",
    "where a participant is, as the team directory would say (repeatable; e.g. 8:acs:…=US-CA)",
    collect,
    [],
  )
  .option("--json", "print the decision as JSON (with the consent decision under consent)")
  .action(
    async (options: {
      from: string;
      to: string;
      with: string[];
      at?: string;
      callKey?: string;
      dir: string;
      json?: boolean;
      located: string[];
    }) => {
      process.exitCode = await explainCommand(options, terminal);
    },
  );
policy
  .command("diff")
  .description("replay past calls against old and new policies and list every decision that would change")
  .argument("<old>", "directory of the policies in force")
  .argument("<new>", "directory of the proposed policies")
  .requiredOption("--calls <file>", "calls to replay: JSON Lines as the ledger exports them (docs/policies.md)")
  .option("--exit-code", "exit with code 1 when any decision would change")
  .action(async (oldDir: string, newDir: string, options: { calls: string; exitCode?: boolean }) => {
    process.exitCode = await diffCommand(oldDir, newDir, options, terminal);
  });

const ledgerCommand = program
  .command("ledger")
  .description("the completeness ledger: one entry per call seen (REDIS_URL, REDIS_PREFIX)");
ledgerCommand
  .command("gaps")
  .description("calls that should have a recording and do not (exit code 1 when there are any)")
  .requiredOption("--since <time>", "ISO 8601 time, or a duration back from now: 90m, 24h, 7d")
  .option("--grace-minutes <n>", "how long after its end a call may still be waiting for its recording", "30")
  .option("--json", "one JSON object per line")
  .action(async (options: { since: string; graceMinutes: string; json?: boolean }) => {
    const ledger = await openLedger();
    try {
      process.exitCode = await gapsCommand(ledger.ledger, options, terminal);
    } finally {
      ledger.close();
    }
  });

program
  .command("reconcile")
  .description(
    "classify every call in ACS's own call logs with a team member on it against the ledger and the archive (exit 1 if a call is incomplete or never seen)",
  )
  .option("--since <time>", "ISO 8601 time, or a duration back from now: 90m, 24h, 7d", "24h")
  .option("--until <time>", "end of the window (default now)")
  .option("--team <team>", "only calls this team took part in")
  .option("--json", "one JSON object per call, then a summary")
  .option("--csv", "CSV with a header")
  .action(async (options: ReconcileOptions) => {
    const opened = await openReconcileDependencies();
    try {
      process.exitCode = await reconcileCommand(opened.dependencies, options, terminal);
    } finally {
      opened.close();
    }
  });

ledgerCommand
  .command("checkpoint")
  .description("sign the head of the ledger and audit chains into an immutable blob (docs/evidence.md)")
  .option("--chain <chain>", "ledger or audit (default both)")
  .action(async (options: { chain?: string }) => {
    const stores = await openEvidenceStores();
    try {
      process.exitCode = await checkpointCommand({ ...stores, signer: evidenceSigner() }, options, terminal);
    } finally {
      stores.close();
    }
  });

ledgerCommand
  .command("verify")
  .description(
    "prove nothing before the last checkpoint was altered, removed, inserted or reordered (exit 1 if it was)",
  )
  .option("--chain <chain>", "ledger or audit (default both)")
  .option(
    "--source <source>",
    "auto (Redis, the audit trail's Blob copy once Redis's is capped), redis or blob",
    "auto",
  )
  .option("--public-key <file>", "the trusted public key (PEM); default: EVIDENCE_SIGNING_KEY_FILE's")
  .option("--json", "one JSON object per chain")
  .action(async (options: { chain?: string; source?: string; publicKey?: string; json?: boolean }) => {
    const verifier = await trustedVerifier(options.publicKey, () => evidenceSigner());
    const stores = await openEvidenceStores();
    try {
      process.exitCode = await verifyCommand({ ...stores, verifier }, options, terminal);
    } finally {
      stores.close();
    }
  });

program
  .command("bundle")
  .description('evidence bundles: zip exports a regulator checks offline (docs/evidence.md "Bundles")')
  .command("verify <file>")
  .description("prove every byte and signature of a bundle, offline (exit 1 naming what fails)")
  .option("--public-key <file>", "the trusted public key (PEM); without it the bundle's own key: integrity, not origin")
  .option("--json", "the report as JSON")
  .action(async (file: string, options: { publicKey?: string; json?: boolean }) => {
    process.exitCode = await bundleVerifyCommand(file, options, terminal);
  });

program
  .command("evidence")
  .description("the evidence signing key (docs/evidence.md)")
  .command("public-key")
  .description("print the public key checkpoints and manifests are signed with (PEM) and its key id")
  .action(() => {
    process.exitCode = publicKeyCommand(evidenceSigner(), terminal);
  });

const jobs = program
  .command("jobs")
  .description("dead-lettered jobs: those that used up their retries (REDIS_URL, REDIS_PREFIX)");
jobs
  .command("failed")
  .description("list failed jobs with their reason, call and recording")
  .option("--json", "one JSON object per line")
  .action(async (options: { json?: boolean }) => {
    const queues = await openQueues();
    try {
      process.exitCode = await failedCommand(queues.all, options, terminal);
    } finally {
      await queues.close();
    }
  });
jobs
  .command("retry")
  .description("replay failed jobs (attempts reset): the given ids, or --all")
  .argument("[ids...]", "job ids as `jobs failed` prints them")
  .option("--all", "every failed job")
  .action(async (ids: string[], options: { all?: boolean }) => {
    const queues = await openQueues(process.env, true);
    try {
      process.exitCode = await retryCommand(queues.all, { ...options, ids }, terminal);
    } finally {
      await queues.close();
    }
  });

registerCallsCommands(program);
registerRecordingsCommands(program, terminal);
registerReviewsCommands(program, terminal);
registerEventsCommands(program, terminal);

program.parseAsync().catch((error: unknown) => {
  const known = error instanceof PolicyError || error instanceof CallsFileError || error instanceof Unreachable;
  console.error(known ? error.message : `error: ${(error as Error).message}`);
  process.exit(1);
});
