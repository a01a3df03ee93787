import { constants } from "node:fs";
import { access, readFile } from "node:fs/promises";
import { verifyBundleFile } from "../retrieval/index.js";
import type { Output } from "./policy-commands.js";

// `recorder bundle verify FILE [--public-key F] [--json]` (docs/evidence.md "Bundles"): an evidence bundle checked
// from the file alone — no Redis, no Blob, no network. Exit 0: every byte and signature verified; 1: something
// does not (each named); 2: the command could not run (no such file, a key that is not one).

export async function bundleVerifyCommand(
  file: string,
  options: { publicKey?: string; json?: boolean },
  io: Output,
): Promise<number> {
  let trustedKeyPem: string | undefined;
  if (options.publicKey) {
    try {
      trustedKeyPem = await readFile(options.publicKey, "utf8");
    } catch (error) {
      io.err(`--public-key ${options.publicKey}: ${(error as Error).message}`);
      return 2;
    }
  }
  try {
    await access(file, constants.R_OK);
  } catch (error) {
    io.err(`${file}: ${(error as Error).message}`);
    return 2;
  }
  const report = await verifyBundleFile(file, trustedKeyPem);
  if (options.json) {
    io.out(JSON.stringify(report, null, 2));
    return report.ok ? 0 : 1;
  }
  io.out(`bundle ${file}`);
  io.out(`trust: ${report.trust}`);
  for (const line of report.verified) io.out(`verified  ${line}`);
  for (const line of report.notes) io.out(`note      ${line}`);
  for (const line of report.problems) io.err(`FAILED    ${line}`);
  io.out(
    report.ok
      ? "bundle verified: every byte and signature checks"
      : `bundle NOT verified: ${report.problems.length} problem(s)`,
  );
  return report.ok ? 0 : 1;
}
