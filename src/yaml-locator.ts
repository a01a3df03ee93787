/**
 * Where a value of a YAML document is, as `file:line:column`: how the policy, directory and other YAML loaders name
 * the place of a problem (src/policy/load.ts, src/directory/load.ts).
 */
import type { Document } from "yaml";

export type YamlPath = (string | number)[];

/** `file:line:column` of a node, or of its nearest existing parent when the node itself is missing. */
export function yamlLocator(file: string, text: string, document: Document) {
  const at = (offset: number | undefined): string => {
    if (offset === undefined) return file;
    const before = text.slice(0, offset).split("\n");
    return `${file}:${before.length}:${(before.at(-1)?.length ?? 0) + 1}`;
  };
  const of = (path: YamlPath): string => {
    for (let length = path.length; length > 0; length--) {
      const node = document.getIn(path.slice(0, length), true) as { range?: [number, number, number] } | undefined;
      if (node?.range) return at(node.range[0]);
    }
    return at(document.contents?.range?.[0]);
  };
  return { at, of };
}
