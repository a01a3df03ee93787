#!/usr/bin/env node
// The `recorder` CLI. In a development checkout (sources beside this file) it runs the TypeScript through tsx, a
// development dependency, so that it is always the code being edited; in the production image (no sources, no tsx)
// it runs the compiled CLI from dist/ (npm run build).
import { existsSync } from "node:fs";

const source = new URL("../src/cli/main.ts", import.meta.url);
if (existsSync(source)) {
  const { register } = await import("tsx/esm/api");
  register();
  await import(source.href);
} else {
  await import(new URL("../dist/src/cli/main.js", import.meta.url).href);
}
