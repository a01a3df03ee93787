/**
 * Checks that every relative link of the project's Markdown (README.md, docs/, simulator/README.md) points at a
 * file that exists and, with `#anchor`, at a heading of that file: moving a section cannot leave links behind.
 * `npx tsx scripts/check-docs-links.ts` prints the broken ones (exit 1); scripts/check-docs-links.test.ts runs it.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** GitHub's anchor of a heading: lower case, punctuation dropped (not `-` or `_`), spaces to dashes. */
export function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

/** The lines of a Markdown text outside fenced code blocks. */
function prose(text: string): string[] {
  let fenced = false;
  return text.split("\n").filter((line) => {
    if (/^\s*```/.test(line)) {
      fenced = !fenced;
      return false;
    }
    return !fenced;
  });
}

/** The anchors of a Markdown file's headings (a repeated heading gets `-1`, `-2`, … as on GitHub). */
export function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  for (const line of prose(text)) {
    const heading = /^#{1,6}\s+(.*)$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const base = slug(heading);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    result.add(count === 0 ? base : `${base}-${count}`);
  }
  return result;
}

/** Relative link targets of a Markdown text (not in code), with their line numbers. */
export function links(text: string): { line: number; target: string }[] {
  const found: { line: number; target: string }[] = [];
  let fenced = false;
  text.split("\n").forEach((line, index) => {
    if (/^\s*```/.test(line)) fenced = !fenced;
    if (fenced) return;
    const outsideCode = line.replace(/`[^`]*`/g, "");
    for (const match of outsideCode.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = match[1]!;
      if (!/^[a-z][a-z0-9+.-]*:/i.test(target)) found.push({ line: index + 1, target });
    }
  });
  return found;
}

/** Every broken link of the given Markdown files, as `file:line: target (why)`. */
export function brokenLinks(files: readonly string[]): string[] {
  const problems: string[] = [];
  for (const file of files) {
    const text = readFileSync(file, "utf8");
    for (const { line, target } of links(text)) {
      const [path = "", anchor] = target.split("#", 2);
      const destination = path === "" ? file : resolve(dirname(file), decodeURIComponent(path));
      const where = `${relative(root, file)}:${line}: ${target}`;
      if (!existsSync(destination)) problems.push(`${where} (no such file)`);
      else if (anchor !== undefined && destination.endsWith(".md")) {
        if (!anchors(readFileSync(destination, "utf8")).has(anchor)) problems.push(`${where} (no such heading)`);
      }
    }
  }
  return problems;
}

/** The project's own Markdown: README.md, docs/*.md, simulator/README.md. */
export function projectMarkdown(): string[] {
  const docs = readdirSync(join(root, "docs"))
    .filter((name) => name.endsWith(".md"))
    .map((name) => join(root, "docs", name));
  return [join(root, "README.md"), join(root, "simulator", "README.md"), ...docs];
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const problems = brokenLinks(projectMarkdown());
  for (const problem of problems) process.stdout.write(`${problem}\n`);
  process.exitCode = problems.length > 0 ? 1 : 0;
}
