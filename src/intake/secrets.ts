import { createHash, timingSafeEqual } from "node:crypto";

const digest = (value: string) => createHash("sha256").update(value).digest();

/**
 * Constant-time check against every accepted secret (several at once, so they can be rotated). Comparing
 * SHA-256 digests keeps the comparison length-independent; the secrets' digests are computed once.
 */
export function secretMatcher(secrets: readonly string[]): (candidate: string | undefined) => boolean {
  const expected = secrets.map(digest);
  return (candidate) => {
    if (!candidate) return false;
    const actual = digest(candidate);
    let matched = false;
    for (const secret of expected) matched = timingSafeEqual(actual, secret) || matched;
    return matched;
  };
}
