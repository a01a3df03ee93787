import { createHash, timingSafeEqual } from "node:crypto";

/** Constant-time check against every accepted secret (several at once, so they can be rotated). */
export function matchesAnySecret(candidate: string | undefined, secrets: readonly string[]): boolean {
  if (!candidate) return false;
  // Comparing digests keeps the comparison length-independent.
  const digest = createHash("sha256").update(candidate).digest();
  let matched = false;
  for (const secret of secrets) {
    matched = timingSafeEqual(digest, createHash("sha256").update(secret).digest()) || matched;
  }
  return matched;
}
