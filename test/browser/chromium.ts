// Headless Chromium for browser tests: Debian's `chromium` package driven by playwright-core
// (`npx playwright install` cannot download browsers on these machines; see toolchain notes).
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext } from "playwright-core";
import { inject } from "vitest";
import { CHROMIUM_PATH } from "../../scripts/local-stack/system-packages.js";

const FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  // Audio may start without a click on the player itself (the test clicks the page's own Play button).
  "--autoplay-policy=no-user-gesture-required",
];

export interface RunningChromium {
  context: BrowserContext;
  close(): Promise<void>;
}

/**
 * Starts headless Chromium with a fresh user-data dir (removed on close). The test set-up installs Chromium when it
 * can; a missing Chromium is an error that says what to run, never a skip.
 */
export async function launchChromium(executablePath = CHROMIUM_PATH): Promise<RunningChromium> {
  if (!existsSync(executablePath)) {
    const why = executablePath === CHROMIUM_PATH ? inject("chromiumProblem") : "";
    throw new Error(
      `Browser tests need Chromium at ${executablePath}` +
        (why ? `: ${why}` : ": install Debian's package with `apt-get install -y chromium`."),
    );
  }
  const userDataDir = await mkdtemp(join(tmpdir(), "recorder-chromium-"));
  try {
    const context = await chromium.launchPersistentContext(userDataDir, {
      executablePath,
      headless: true,
      args: FLAGS,
    });
    return {
      context,
      async close() {
        await context.close().catch(() => undefined);
        await rm(userDataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(userDataDir, { recursive: true, force: true });
    throw error;
  }
}
