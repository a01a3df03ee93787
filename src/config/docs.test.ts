import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { configSchema, loadConfig } from "./index.js";

// docs/configuration.md is checked against the schema, so the two cannot drift: every variable of the schema is
// documented, nothing documented is missing from it, and each default written as code is the schema's own. Any
// other page's table headed `variable` is held to the same (without having to be complete).

const docsDir = join(import.meta.dirname, "..", "..", "docs");

/** The smallest environment loadConfig accepts: the defaults are what it gives for everything else. */
const minimal = {
  PUBLIC_BASE_URL: "https://recorder.example.com",
  ACS_CONNECTION_STRING: "endpoint=https://acs.example.communication.azure.com/;accesskey=a2V5",
  ACS_RESOURCE_ID: "5e1f7a2c-0d3b-4c8e-9a61-2f4b8c7d9e10",
  REDIS_URL: "redis://127.0.0.1:6379",
  BLOB_CONNECTION_STRING: "UseDevelopmentStorage=true",
  EVENTGRID_SECRET: "s1",
};

interface Row {
  page: string;
  line: number;
  name: string;
  required: string | undefined;
  default: string | undefined;
}

/** Cells of a Markdown table row (`\|` is a pipe inside a cell). */
const cells = (line: string) =>
  line
    .trim()
    .replace(/^\||\|$/g, "")
    .split(/(?<!\\)\|/)
    .map((cell) => cell.trim());

/** Rows of every table of a page whose first header cell is `variable`. */
export function variableRows(page: string, text: string): Row[] {
  const rows: Row[] = [];
  let columns: string[] | undefined;
  const lines = text.split("\n");
  lines.forEach((line, index) => {
    if (!line.startsWith("|")) {
      columns = undefined;
      return;
    }
    if (columns === undefined) {
      // A table starts: its header, then the separator row.
      const header = cells(line);
      columns = header[0] === "variable" ? header : [];
      return;
    }
    if (columns.length === 0 || /^\|[-|: ]+\|$/.test(line.trim())) return;
    const row = cells(line);
    const at = (column: string) => {
      const i = columns!.indexOf(column);
      return i < 0 ? undefined : row[i];
    };
    rows.push({
      page,
      line: index + 1,
      name: row[0] ?? "",
      required: at("required"),
      default: at("default"),
    });
  });
  return rows;
}

const pages = readdirSync(docsDir).filter((file) => file.endsWith(".md"));
const rowsOf = (page: string) => variableRows(page, readFileSync(join(docsDir, page), "utf8"));
const documented = rowsOf("configuration.md");
const schemaNames = Object.keys(configSchema.shape).sort();
const defaults = loadConfig(minimal) as Record<string, unknown>;
const codeSpan = (cell: string | undefined) => /^`([^`]+)`$/.exec(cell ?? "")?.[1];
const where = (row: Row) => `${row.page}:${row.line} ${row.name}`;

describe("docs/configuration.md against the config schema", () => {
  it("has one row per variable of the schema, and no other", () => {
    const names = documented.map((row) => codeSpan(row.name) ?? `not one variable: ${row.name}`);
    expect(names.filter((name, i) => names.indexOf(name) !== i)).toEqual([]);
    expect([...names].sort()).toEqual(schemaNames);
  });

  it("documents the schema's defaults", () => {
    const checked = pages.flatMap(rowsOf);
    expect(checked.length).toBeGreaterThanOrEqual(schemaNames.length);
    for (const row of checked) {
      const name = codeSpan(row.name);
      expect(schemaNames, `${where(row)}: not a variable of src/config/index.ts`).toContain(name);
      const value = codeSpan(row.default);
      if (name! in minimal) {
        expect(value, `${where(row)}: required, so no default`).toBeUndefined();
      } else if (value === undefined) {
        // Empty, or a default in words that the code decides: the schema itself has none.
        expect(defaults[name!], `${where(row)}: the schema's default is not documented`).toBeUndefined();
      } else {
        expect(defaults[name!], `${where(row)}: the schema has no default`).not.toBeUndefined();
        const given = loadConfig({ ...minimal, [name!]: value }) as Record<string, unknown>;
        expect(given[name!], `${where(row)}: documented default ${value}`).toEqual(defaults[name!]);
      }
    }
  });

  it("marks as required (yes) exactly the variables the schema cannot do without", () => {
    for (const row of documented) {
      const name = codeSpan(row.name) as keyof typeof configSchema.shape;
      const required = !configSchema.shape[name].safeParse(undefined).success;
      expect(required, `${where(row)}: required is "${row.required}"`).toBe(row.required === "yes");
    }
  });
});

describe("variableRows", () => {
  it("reads the name, required and default columns of tables headed `variable`, and no other table", () => {
    const page = [
      "| name | default |",
      "|---|---|",
      "| `NOT_CHECKED` | `1` |",
      "",
      "| variable | required | default | meaning |",
      "|---|---|---|---|",
      "| `A` | yes | | a `x\\|y` pipe |",
      "| `B` | | `2` | |",
      "text",
      "| variable | default |",
      "|---|---|",
      "| `C` | in words |",
    ].join("\n");
    expect(variableRows("p.md", page)).toEqual([
      { page: "p.md", line: 7, name: "`A`", required: "yes", default: "" },
      { page: "p.md", line: 8, name: "`B`", required: "", default: "`2`" },
      { page: "p.md", line: 12, name: "`C`", required: undefined, default: "in words" },
    ]);
  });
});
