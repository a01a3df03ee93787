// The simulator's standalone entry point (simulator/main.ts) as compose and `npm run simulator` run it: a process
// of its own, its environment, its JSON log lines, its exit codes.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { describe, expect, it } from "vitest";
import { ACCESS_KEY, RESOURCE_ID } from "../../simulator/test-support/fixtures.js";

const tsx = ["--import", "tsx", "simulator/main.ts"];

describe("simulator/main.ts", () => {
  it("exits 1 naming a missing variable", async () => {
    const child = spawn(process.execPath, tsx, {
      env: { ...process.env, SIM_ACCESS_KEY: ACCESS_KEY, SIM_RESOURCE_ID: "" },
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise((r) => child.on("exit", r));
    expect(code).toBe(1);
    expect(stderr).toMatch(/SIM_RESOURCE_ID/);
  });

  it("listens, logs JSON lines and stops cleanly on SIGTERM", async () => {
    const child = spawn(process.execPath, tsx, {
      env: { ...process.env, SIM_PORT: "0", SIM_ACCESS_KEY: ACCESS_KEY, SIM_RESOURCE_ID: RESOURCE_ID },
    });
    const lines = createInterface({ input: child.stdout });
    const listening = await new Promise<{ msg: string; url: string }>((resolve, reject) => {
      lines.on("line", (line) => {
        const parsed = JSON.parse(line) as { msg: string; url: string };
        if (parsed.msg === "simulator listening") resolve(parsed);
      });
      child.on("exit", () => reject(new Error("exited before listening")));
    });
    expect(listening.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${listening.url}/calling/keys`);
    expect(((await res.json()) as { keys: unknown[] }).keys).toHaveLength(1);
    child.kill("SIGTERM");
    expect(await new Promise((r) => child.on("exit", r))).toBe(0);
  });
});
