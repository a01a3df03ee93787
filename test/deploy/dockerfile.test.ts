// The Dockerfile, read as text (no Docker engine here: never built by the tests): it compiles with the project's
// build, runs the compiled webhook, and gives its processes the production environment every other way of
// running them uses (scripts/local-stack/processes.ts).
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { PRODUCTION_COMMANDS, PRODUCTION_PROCESS_ENV } from "../../scripts/local-stack/processes.js";

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

/** A stage's instructions with those of the stages it is built FROM (its ENV and files are theirs too). */
function withBases(all: string[][], stage: string[]): string[] {
  const base = /^FROM (\S+)/.exec(stage[0] ?? "")?.[1];
  const parent = all.find((s) => new RegExp(`^FROM \\S+ AS ${base}$`).test(s[0] ?? ""));
  return parent ? [...withBases(all, parent), ...stage.slice(1)] : stage;
}

const named = (all: string[][], name: string) => all.find((s) => s[0]?.endsWith(` AS ${name}`));

describe("Dockerfile", () => {
  it("builds dist/ with npm run build; the default image runs the compiled webhook with the production environment", async () => {
    const all = await stages();
    expect(named(all, "build")).toContain("RUN npm run build");
    const recorder = all.at(-1)!; // the default target
    expect(recorder[0]).toMatch(/ AS recorder$/);
    const image = withBases(all, recorder);
    expect(image).toContain("RUN npm ci --omit=dev --no-audit --no-fund");
    expect(JSON.parse(recorder.at(-1)!.replace(/^CMD /, ""))).toEqual(PRODUCTION_COMMANDS.webhook);
    const env = Object.fromEntries(
      image.filter((line) => line.startsWith("ENV ")).map((line) => line.slice(4).split("=", 2) as [string, string]),
    );
    expect(env).toEqual({ NODE_ENV: "production", ...PRODUCTION_PROCESS_ENV });
  });

  it("ships no TypeScript sources, no TypeScript loader and no simulator in the recorder image", async () => {
    const all = await stages();
    const image = withBases(all, all.at(-1)!);
    const copied = image.filter((line) => line.startsWith("COPY "));
    expect(copied).toEqual([
      "COPY package.json package-lock.json ./",
      "COPY --from=build /app/dist/src ./dist/src",
      "COPY --from=build /app/dist/workers ./dist/workers",
      "COPY policies ./policies",
      "COPY bin ./bin",
    ]);
    // npm ci --omit=dev leaves tsx out: it must be a development dependency only.
    const pkg = JSON.parse(await readFile("package.json", "utf8")) as {
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    expect(pkg.dependencies.tsx).toBeUndefined();
    expect(pkg.devDependencies.tsx).toBeDefined();
  });

  it("has a simulator image of its own, with the simulator's production command", async () => {
    const simulator = named(await stages(), "simulator")!;
    expect(simulator).toContain("COPY --from=build /app/dist/simulator ./dist/simulator");
    expect(JSON.parse(simulator.at(-1)!.replace(/^CMD /, ""))).toEqual(PRODUCTION_COMMANDS.simulator);
  });

  it("copies only what exists", async () => {
    for (const line of (await stages()).flat().filter((l) => l.startsWith("COPY ") && !l.includes("--from"))) {
      const sources = line.split(/\s+/).slice(1, -1);
      for (const source of sources) expect(existsSync(source), line).toBe(true);
    }
  });
});
