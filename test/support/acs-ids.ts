import { randomBytes } from "node:crypto";

/**
 * A serverCallId shaped like real ones (docs/acs-payloads.md): padded standard base64 of a conversation URL, here
 * always holding '/', '+' and '=' — for tests that make their own ids rather than take the simulator's.
 */
export function serverCallIdLike(tag: string): string {
  const nonce = randomBytes(4).toString("hex");
  for (let host = 0; host < 3; host++)
    for (let index = 0; index < 3; index++)
      for (let tail = 0; tail < 3; tail++) {
        const url = `https://conv${"0".repeat(host)}.example/conv/${tag}-${nonce}?i=${"1".repeat(index + 1)}&x=~${"a".repeat(tail)}`;
        const id = Buffer.from(url).toString("base64");
        if (id.includes("/") && id.includes("+") && id.endsWith("=")) return id;
      }
  throw new Error(`no layout of ${tag} gives '/', '+' and '='`);
}
