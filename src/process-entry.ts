import { ConfigError } from "./config/index.js";
import { PolicyError } from "./policy/index.js";

/**
 * Runs a process's main function: a configuration or policy problem is printed as its plain message (it names
 * what to fix), anything else with its stack; either way the process exits 1.
 */
export function runProcess(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    if (error instanceof ConfigError || error instanceof PolicyError) console.error(error.message);
    else console.error(error);
    process.exit(1);
  });
}
