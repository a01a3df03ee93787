/**
 * The canonical form of a JSON value (pure), the bytes every hash and signature of the evidence covers
 * (docs/evidence.md "Canonical form"): RFC 8785 (JSON Canonicalization Scheme) for the values we write —
 * object members sorted by their names' UTF-16 code units, no whitespace, strings and numbers as ECMAScript's
 * JSON.stringify writes them, members whose value is `undefined` left out and `toJSON` honoured (a Date is its ISO
 * string) as JSON.stringify does, UTF-8.
 * Anything JSON cannot carry (a non-finite number, a function, a bigint) is refused, never silently dropped.
 */
import { createHash } from "node:crypto";

export function canonicalJson(value: unknown): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "string":
    case "boolean":
      return JSON.stringify(value);
    case "number":
      if (!Number.isFinite(value)) throw new TypeError(`canonical JSON: ${value} is not a JSON number`);
      return JSON.stringify(value);
    case "object": {
      // As JSON.stringify does (a Date becomes its ISO string): the canonical form is of the JSON that is stored.
      const toJSON = (value as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === "function") return canonicalJson((toJSON as () => unknown).call(value));
      if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item ?? null)).join(",")}]`;
      const members = Object.entries(value as Record<string, unknown>)
        .filter(([, member]) => member !== undefined)
        // Default sort compares UTF-16 code units, which is what RFC 8785 §3.2.3 asks.
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([name, member]) => `${JSON.stringify(name)}:${canonicalJson(member)}`);
      return `{${members.join(",")}}`;
    }
    default:
      throw new TypeError(`canonical JSON: a ${typeof value} is not JSON`);
  }
}

export const canonicalBytes = (value: unknown) => Buffer.from(canonicalJson(value), "utf8");

/** SHA-256 (lower-case hex) of a value's canonical form. */
export const canonicalSha256 = (value: unknown) => createHash("sha256").update(canonicalBytes(value)).digest("hex");
