/**
 * What the local stack and the tests need from the machine beyond npm (redis-server, Chromium), found or installed
 * by the project itself: the set-up contract is "`npm install && npm start`, `npm test`, nothing by hand".
 * Installs use Debian's packages (the machines this project targets); elsewhere, or without the right to install,
 * the caller gets the exact command to run instead.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

export interface SystemTool {
  /** What the tool is for, in the message when it cannot be had. */
  purpose: string;
  /** The Debian package that provides it. */
  debianPackage: string;
  /** True when the tool is usable as the machine stands. */
  present(): boolean;
}

export const REDIS_SERVER: SystemTool = {
  purpose: "Redis (redis-server, and redis-cli for the tests' private Redis Cluster)",
  // redis-server depends on redis-tools, which brings redis-cli.
  debianPackage: "redis-server",
  present: () => commandRuns("redis-server", ["--version"]) && commandRuns("redis-cli", ["--version"]),
};

export const CHROMIUM_PATH = "/usr/bin/chromium";

export const CHROMIUM: SystemTool = {
  purpose: "headless Chromium for the QA page's browser tests",
  debianPackage: "chromium",
  present: () => existsSync(CHROMIUM_PATH),
};

/** strace, which the chaos tests use to make a private redis-server's fsync slow (a busy disk, on demand). */
export const STRACE: SystemTool = {
  purpose: "strace (the durable-intake chaos test makes Redis's fsync slow with it)",
  debianPackage: "strace",
  present: () => commandRuns("strace", ["-V"]),
};

export type Ensured = { ok: true; installed: boolean } | { ok: false; problem: string };

/**
 * Makes sure `tool` is present: already there, or installed now with apt-get (as root, or through password-less
 * sudo). Never throws: when it cannot be had, `problem` says why and the exact command that would fix it.
 * apt's own lock makes concurrent installs wait for each other (DPkg::Lock::Timeout).
 */
export function ensureSystemTool(tool: SystemTool, log: (line: string) => void = () => undefined): Ensured {
  if (tool.present()) return { ok: true, installed: false };
  const command = `apt-get update && apt-get install -y ${tool.debianPackage}`;
  if (!commandRuns("apt-get", ["--version"])) {
    return {
      ok: false,
      problem: `${tool.purpose} is missing and this machine has no apt-get: install ${tool.debianPackage}.`,
    };
  }
  const asRoot = process.getuid?.() === 0;
  const sudo = !asRoot && commandRuns("sudo", ["-n", "true"]);
  if (!asRoot && !sudo) {
    return {
      ok: false,
      problem: `${tool.purpose} is missing: run \`sudo ${command}\` (no right to install it from here).`,
    };
  }
  log(`${tool.purpose}: installing Debian's ${tool.debianPackage} (apt-get; about a minute, once per machine)`);
  const prefix = sudo ? ["sudo", "-n"] : [];
  const lock = ["-o", "DPkg::Lock::Timeout=300"];
  const steps = [
    [...prefix, "apt-get", ...lock, "update", "-qq"],
    [...prefix, "apt-get", ...lock, "install", "-y", "-qq", "--no-install-recommends", tool.debianPackage],
  ];
  for (const [program, ...args] of steps) {
    const run = spawnSync(program!, args, {
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
      encoding: "utf8",
    });
    if (run.status !== 0) {
      const said = (run.stderr ?? "").trim().split("\n").slice(-3).join(" | ");
      return { ok: false, problem: `${tool.purpose}: \`${command}\` failed (${said || `exit ${run.status}`}).` };
    }
  }
  return tool.present()
    ? { ok: true, installed: true }
    : { ok: false, problem: `${tool.purpose}: installed ${tool.debianPackage}, but it is still not usable.` };
}

function commandRuns(command: string, args: string[]): boolean {
  return spawnSync(command, args, { stdio: "ignore" }).status === 0;
}
