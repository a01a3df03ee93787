import { Command } from "commander";
import { loadPolicies, PolicyError } from "../policy/index.js";
import { runDemo } from "./demo.js";

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

const policy = program.command("policy").description("team policy files");
policy
  .command("lint")
  .argument("[dir]", "policy directory", "policies")
  .description("validate every policy file; exit code 1 on any error")
  .action(async (dir: string) => {
    const policies = await loadPolicies(dir);
    for (const p of policies) console.log(`ok  ${p.file}  team ${p.team.id}  ${p.rules.length} rule(s)  sha256 ${p.hash}`);
  });

program.parseAsync().catch((error: unknown) => {
  console.error(error instanceof PolicyError ? error.message : `error: ${(error as Error).message}`);
  process.exit(1);
});
