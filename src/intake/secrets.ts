import { timingSafeEqual } from "node:crypto";

/** Secrets are compared in buffers at least this wide (wider when a configured secret is longer). */
const MIN_WIDTH_BYTES = 256;

/**
 * Constant-time check against every accepted secret (several at once, so they can be rotated). The candidate and
 * each secret are compared as buffers of one fixed width, zero-filled past their ends, with their byte lengths
 * compared beside: the time taken depends on neither the candidate's length nor its content. (Comparing SHA-256
 * digests, as this did before, costs ~6 µs per delivery in the webhook — a tenth of its CPU: docs/performance.md
 * "Where intake's CPU goes".) One scratch buffer serves every call: the check is synchronous.
 */
export function secretMatcher(secrets: readonly string[]): (candidate: string | undefined) => boolean {
  const width = Math.max(MIN_WIDTH_BYTES, ...secrets.map((secret) => Buffer.byteLength(secret)));
  const expected = secrets.map((secret) => {
    const bytes = Buffer.alloc(width);
    return { bytes, length: bytes.write(secret) };
  });
  const scratch = Buffer.alloc(width);
  return (candidate) => {
    // Longer than every secret: no match, whatever it holds (the width says nothing of any secret's length).
    if (!candidate || Buffer.byteLength(candidate) > width) return false;
    scratch.fill(0);
    const length = scratch.write(candidate);
    let matched = false;
    for (const secret of expected)
      matched = (timingSafeEqual(scratch, secret.bytes) && length === secret.length) || matched;
    return matched;
  };
}
