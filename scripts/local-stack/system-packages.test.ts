import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ensureSystemTool, type SystemTool } from "./system-packages.js";

const tool = (present: boolean): SystemTool => ({
  purpose: "a test tool",
  debianPackage: "no-such-package-for-tests",
  present: () => present,
});

describe("ensureSystemTool", () => {
  const path = process.env.PATH;
  afterEach(() => {
    process.env.PATH = path;
  });

  it("leaves a tool that is present alone", () => {
    expect(ensureSystemTool(tool(true))).toEqual({ ok: true, installed: false });
  });

  it("says what to install when the machine has no apt-get (never throws)", async () => {
    const empty = await mkdtemp(join(tmpdir(), "no-apt-"));
    try {
      process.env.PATH = empty;
      expect(ensureSystemTool(tool(false))).toEqual({
        ok: false,
        problem: "a test tool is missing and this machine has no apt-get: install no-such-package-for-tests.",
      });
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});
