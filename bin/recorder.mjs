#!/usr/bin/env node
// The `recorder` CLI. The project runs its TypeScript through tsx (a runtime dependency), so there is no build step.
import { register } from "tsx/esm/api";

register();
await import("../src/cli/main.ts");
