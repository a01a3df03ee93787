// The Dockerfile, read as text (no Docker engine here: never built by the tests): it compiles with the project's
// build, runs the compiled webhook, and gives its processes the production environment every other way of
// running them uses (scripts/lib/processes.ts).
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { PRODUCTION_COMMANDS, PRODUCTION_PROCESS_ENV } from "../../scripts/lib/processes.js";

/** The instructions of each stage: FROM starts a stage. */
async function stages(): Promise<string[][]> {
  const lines = (await readFile("Dockerfile", "utf8"))
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith("#"));
  const result: string[][] = [];
  for (const line of lines) {
    if (line.startsWith("FROM ")) result.push([]);
    result.at(-1)?.push(line);
  }
  return result;
}

describe("Dockerfile", () => {
  it("builds dist/ with npm run build and runs the compiled webhook with the production environment", async () => {
    const [build, runtime, ...more] = await stages();
    expect(more).toEqual([]);
    expect(build).toContain("RUN npm run build");
    expect(runtime).toContain("COPY --from=build /app/dist ./dist");
    expect(runtime).toContain("RUN npm ci --omit=dev --no-audit --no-fund");
    expect(JSON.parse(runtime!.at(-1)!.replace(/^CMD /, ""))).toEqual(PRODUCTION_COMMANDS.webhook);
    const env = Object.fromEntries(
      runtime!.filter((line) => line.startsWith("ENV ")).map((line) => line.slice(4).split("=", 2) as [string, string]),
    );
    expect(env).toEqual({ NODE_ENV: "production", ...PRODUCTION_PROCESS_ENV });
  });

  it("copies only what exists", async () => {
    for (const line of (await stages()).flat().filter((l) => l.startsWith("COPY ") && !l.includes("--from"))) {
      const sources = line.split(/\s+/).slice(1, -1);
      for (const source of sources) expect(existsSync(source), line).toBe(true);
    }
  });
});
