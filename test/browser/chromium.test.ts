import { describe, expect, it } from "vitest";
import { launchChromium } from "./chromium.js";

describe("launchChromium", () => {
  it("fails loudly, with the command to run, when Chromium is not installed (browser tests never skip)", async () => {
    await expect(launchChromium("/nonexistent/chromium")).rejects.toThrow(
      "Browser tests need Chromium at /nonexistent/chromium: install Debian's package with `apt-get install -y chromium`",
    );
  });
});
