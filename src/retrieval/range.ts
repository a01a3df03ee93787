/**
 * HTTP `Range` for the stream (pure, RFC 9110 §14): one byte range is served; a header we cannot read is
 * ignored (the whole body is sent, as the RFC allows); a range that starts past the end is unsatisfiable (416).
 */
export type RangeAnswer =
  { kind: "whole" } | { kind: "partial"; start: number; end: number } | { kind: "unsatisfiable" };

export function parseRange(header: string | undefined, size: number): RangeAnswer {
  const match = /^\s*bytes\s*=\s*([^,]*)/i.exec(header ?? "");
  if (!match) return { kind: "whole" };
  const spec = /^\s*(\d*)\s*-\s*(\d*)\s*$/.exec(match[1]!);
  if (!spec || (spec[1] === "" && spec[2] === "")) return { kind: "whole" };
  const [, first, last] = spec;
  if (first === "") {
    // Suffix: the last n bytes.
    const n = Number(last);
    if (n === 0 || size === 0) return { kind: "unsatisfiable" };
    return { kind: "partial", start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(first);
  if (last !== "" && Number(last) < start) return { kind: "whole" };
  if (start >= size) return { kind: "unsatisfiable" };
  const end = last === "" ? size - 1 : Math.min(Number(last), size - 1);
  return { kind: "partial", start, end };
}
