/**
 * "Did you mean …?" for policy files: the known word nearest a misspelt field name or option, when one is near
 * enough to be the likely intent (pure).
 */
import type { z } from "zod";

/** Edit distance counting an adjacent transposition as one edit ("mdoe" → "mode"): optimal string alignment. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) =>
    Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/** The candidate nearest `word` (case-insensitively), if within 1 edit for short words and 2 for longer ones. */
export function nearest(word: string, candidates: Iterable<string>): string | undefined {
  const limit = word.length <= 4 ? 1 : 2;
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    if (candidate === word) continue;
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance <= limit && (!best || distance < best.distance)) best = { candidate, distance };
  }
  return best?.candidate;
}

/** Every object field name a zod schema knows, at any depth: the vocabulary for unknown-field suggestions. */
export function fieldNames(schema: z.ZodType): Set<string> {
  const names = new Set<string>();
  const seen = new Set<unknown>();
  const visit = (node: unknown): void => {
    if (!node || typeof node !== "object" || seen.has(node)) return;
    seen.add(node);
    const def = (node as { _zod?: { def?: Record<string, unknown> } })._zod?.def;
    if (!def) return;
    if (def.type === "object" && def.shape && typeof def.shape === "object") {
      for (const [name, child] of Object.entries(def.shape)) {
        names.add(name);
        visit(child);
      }
    }
    if (def.type === "lazy" && typeof def.getter === "function") visit((def.getter as () => unknown)());
    for (const key of ["element", "innerType", "in", "out", "left", "right", "valueType"]) visit(def[key]);
    for (const key of ["options", "items"]) if (Array.isArray(def[key])) (def[key] as unknown[]).forEach(visit);
  };
  visit(schema);
  return names;
}
