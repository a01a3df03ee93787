/**
 * JSON shapes: which fields a value has, recursively, and of which JSON type — not their values. Used to hold
 * the simulator's answers against recorded real ACS exchanges (test/fixtures/recorded), field by field.
 */
export type Shape =
  | { kind: "null" | "boolean" | "number" | "string" }
  /** `element` merges every element's shape; undefined for an empty array (nothing known of its elements). */
  | { kind: "array"; element: Shape | undefined }
  | { kind: "object"; fields: Record<string, Shape> };

export interface ShapeDifference {
  /** `a.b[].c`: `[]` stands for any element of an array. */
  path: string;
  problem: "missing" | "extra" | "type";
  expected?: string;
  actual?: string;
}

export function shapeOf(value: unknown): Shape {
  if (value === null) return { kind: "null" };
  if (Array.isArray(value)) return { kind: "array", element: value.map(shapeOf).reduce(merge, undefined) };
  switch (typeof value) {
    case "boolean":
    case "number":
    case "string":
      return { kind: typeof value as "boolean" | "number" | "string" };
    case "object": {
      const fields: Record<string, Shape> = {};
      // A field whose value is undefined is not on the wire (JSON.stringify drops it).
      for (const [key, field] of Object.entries(value)) if (field !== undefined) fields[key] = shapeOf(field);
      return { kind: "object", fields };
    }
    default:
      throw new Error(`not a JSON value: ${typeof value}`);
  }
}

/** One shape for the elements of an array: fields seen in any element, types as the first element has them. */
function merge(a: Shape | undefined, b: Shape): Shape {
  if (!a) return b;
  if (a.kind === "object" && b.kind === "object") {
    const fields = { ...a.fields };
    for (const [key, shape] of Object.entries(b.fields))
      fields[key] = key in fields ? merge(fields[key], shape) : shape;
    return { kind: "object", fields };
  }
  if (a.kind === "array" && b.kind === "array") {
    return { kind: "array", element: b.element ? merge(a.element, b.element) : a.element };
  }
  return a;
}

/**
 * Every field `expected` has that `actual` lacks (missing), every field `actual` has that `expected` lacks
 * (extra), and every field present in both with another JSON type. Empty arrays say nothing of their elements.
 */
export function diffShapes(expected: unknown, actual: unknown): ShapeDifference[] {
  const out: ShapeDifference[] = [];
  compare(shapeOf(expected), shapeOf(actual), "", out);
  return out;
}

function compare(expected: Shape, actual: Shape, path: string, out: ShapeDifference[]): void {
  if (expected.kind !== actual.kind) {
    out.push({ path: path || "(root)", problem: "type", expected: expected.kind, actual: actual.kind });
    return;
  }
  if (expected.kind === "object" && actual.kind === "object") {
    const at = (key: string) => (path ? `${path}.${key}` : key);
    for (const key of Object.keys(expected.fields)) {
      const actualField = actual.fields[key];
      const expectedField = expected.fields[key];
      if (!actualField) out.push({ path: at(key), problem: "missing" });
      else if (expectedField) compare(expectedField, actualField, at(key), out);
    }
    for (const key of Object.keys(actual.fields)) {
      if (!(key in expected.fields)) out.push({ path: at(key), problem: "extra" });
    }
    return;
  }
  if (expected.kind === "array" && actual.kind === "array" && expected.element && actual.element) {
    compare(expected.element, actual.element, `${path}[]`, out);
  }
}

/** The differences as lines (`missing: a.b`), for readable assertion failures. */
export function describeDifferences(differences: ShapeDifference[]): string[] {
  return differences.map((d) =>
    d.problem === "type" ? `type: ${d.path} (${d.expected} → ${d.actual})` : `${d.problem}: ${d.path}`,
  );
}
