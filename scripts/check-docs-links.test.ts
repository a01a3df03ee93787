import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { anchors, brokenLinks, links, projectMarkdown, slug } from "./check-docs-links.js";

describe("slug", () => {
  it.each([
    ["Durable intake (`INTAKE_DURABILITY`)", "durable-intake-intake_durability"],
    ["Ledger, gaps and failed jobs", "ledger-gaps-and-failed-jobs"],
    ["PCI pause/resume", "pci-pauseresume"],
    ["List: `GET /api/recordings`", "list-get-apirecordings"],
    [
      "The production form: compiled, with the worker's memory settings",
      "the-production-form-compiled-with-the-workers-memory-settings",
    ],
    ["Quarantine: one bad event blocks nothing", "quarantine-one-bad-event-blocks-nothing"],
  ])("%s → %s", (heading, expected) => {
    expect(slug(heading)).toBe(expected);
  });
});

describe("anchors and links", () => {
  it("numbers repeated headings and skips code blocks", () => {
    const text =
      "# A\n## Tests\n```\n## Not a heading\n[x](nowhere.md)\n```\n## Tests\n[y](other.md#a) `[z](in-code.md)`";
    expect([...anchors(text)]).toEqual(["a", "tests", "tests-1"]);
    expect(links(text)).toEqual([{ line: 8, target: "other.md#a" }]);
  });

  it("finds a missing file and a missing heading, and accepts the rest", () => {
    const dir = mkdtempSync(join(tmpdir(), "docs-links-"));
    writeFileSync(join(dir, "b.md"), "# B\n## Here\n");
    const a = join(dir, "a.md");
    writeFileSync(
      a,
      "# A\n## Local\n[ok](b.md#here) [ok](#local) [web](https://example.com/x#y)\n[gone](c.md) [moved](b.md#there) [self](#nope)\n",
    );
    expect(brokenLinks([a]).map((problem) => problem.replace(/^.*a\.md:/, ""))).toEqual([
      "4: c.md (no such file)",
      "4: b.md#there (no such heading)",
      "4: #nope (no such heading)",
    ]);
  });
});

describe("the project's Markdown", () => {
  it("has no broken relative link", () => {
    expect(brokenLinks(projectMarkdown())).toEqual([]);
  });
});
