/**
 * `npm run build`: compiles the webhook, the workers and the simulator to JavaScript in `dist/` — how they run in
 * production (Dockerfile, deploy/k8s, docker-compose.yml): plain `node dist/…/main.js`, no TypeScript loader in
 * the process — and copies the QA page's static files beside the compiled routes.
 * `--out-dir DIR` builds into DIR instead (a directory inside the project, so that `node_modules` resolves).
 */
import { spawnSync } from "node:child_process";
import { copyFile, mkdir, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { projectRoot } from "./local-stack/processes.js";
import { QA_PAGE_FILES } from "../src/qa-web/index.js";

export async function build(outDir = join(projectRoot, "dist")): Promise<void> {
  await rm(outDir, { recursive: true, force: true });
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  const compiled = spawnSync(
    process.execPath,
    [tsc, "-p", join(projectRoot, "tsconfig.build.json"), "--outDir", outDir],
    { stdio: "inherit", cwd: projectRoot },
  );
  if (compiled.status !== 0) throw new Error(`tsc -p tsconfig.build.json failed (exit ${compiled.status})`);
  const page = join(outDir, "src", "qa-web", "page");
  await mkdir(page, { recursive: true });
  for (const file of QA_PAGE_FILES) await copyFile(join(projectRoot, "src", "qa-web", "page", file), join(page, file));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const at = process.argv.indexOf("--out-dir");
  const outDir = at > 0 && process.argv[at + 1] ? resolve(process.argv[at + 1]!) : undefined;
  const started = Date.now();
  build(outDir)
    .then(() => console.log(`built ${outDir ?? "dist"} in ${((Date.now() - started) / 1000).toFixed(1)} s`))
    .catch((error: unknown) => {
      console.error((error as Error).message);
      process.exit(1);
    });
}
