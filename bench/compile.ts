import { join } from "node:path";
import { projectRoot } from "../scripts/local-stack/processes.js";

/**
 * A bench's child script (bench/<name>.ts) compiled to plain JavaScript in data/bench/<name>.mjs (esbuild, the
 * compiler tsx itself uses; packages stay external), so that what a bench times runs as production runs it —
 * compiled, without tsx's loader in its CPU or RSS (docs/operations.md "Deployment"). Returns the file's path.
 */
export async function compileBenchScript(name: string): Promise<string> {
  const { build } = await import("esbuild");
  const outfile = join(projectRoot, "data", "bench", `${name}.mjs`);
  await build({
    entryPoints: [join(projectRoot, "bench", `${name}.ts`)],
    outfile,
    bundle: true,
    packages: "external",
    platform: "node",
    format: "esm",
    target: "node20",
    logLevel: "warning",
  });
  return outfile;
}
