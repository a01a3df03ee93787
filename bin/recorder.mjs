#!/usr/bin/env node
// The `recorder` CLI runs its TypeScript through tsx (a runtime dependency): no build needed for it. The webhook,
// worker and simulator run compiled in production (`npm run build`, dist/).
import { register } from "tsx/esm/api";

register();
await import("../src/cli/main.ts");
