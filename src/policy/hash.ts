import { createHash } from "node:crypto";
import type { TeamPolicy } from "./types.js";

/** SHA-256 of a file's text: what each decision cites as `policyHash`. */
export function contentHash(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** One hash for a whole policy set (file names and their hashes, in file order): what /readyz reports. */
export function policySetHash(policies: readonly TeamPolicy[]): string {
  const lines = [...policies].sort(byFile).map((p) => `${p.file}\t${p.hash}\n`);
  return contentHash(lines.join(""));
}

export function byFile(a: TeamPolicy, b: TeamPolicy): number {
  return a.file < b.file ? -1 : a.file > b.file ? 1 : 0;
}
