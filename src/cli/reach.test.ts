import { describe, expect, it } from "vitest";
import { freePort } from "../../scripts/local-stack/services.js";
import { fetchOrExplain, reachRedis, socketReason, Unreachable, withoutCredentials } from "./reach.js";

describe("socketReason", () => {
  it.each([
    [{ code: "ECONNREFUSED" }, "connection refused (ECONNREFUSED)"],
    [{ message: "fetch failed", cause: { code: "ENOTFOUND" } }, "no such host (ENOTFOUND)"],
    [{ cause: { cause: { code: "ETIMEDOUT" } } }, "timed out (ETIMEDOUT)"],
    [{ code: "ERR_SOMETHING_ELSE" }, undefined],
    [undefined, undefined],
  ])("%j → %s", (error, reason) => {
    expect(socketReason(error)).toBe(reason);
  });
});

describe("withoutCredentials", () => {
  it.each([
    ["redis://:secret@host:6379", "redis://:***@host:6379"],
    ["http://127.0.0.1:8080/api?code=secret", "http://127.0.0.1:8080/api"],
    ["redis://host:6379", "redis://host:6379"],
  ])("%s → %s", (url, shown) => {
    expect(withoutCredentials(url)).toBe(shown);
  });
});

describe("the CLI facing what is not there", () => {
  it("names the address and the reason when nothing listens at --url", async () => {
    const port = await freePort();
    const failure = fetchOrExplain(`http://127.0.0.1:${port}/api/recordings`, undefined, "the recorder");
    await expect(failure).rejects.toBeInstanceOf(Unreachable);
    await expect(failure).rejects.toThrow(
      `cannot reach the recorder at http://127.0.0.1:${port}: connection refused (ECONNREFUSED)`,
    );
  });

  it("says in one line, within seconds, that REDIS_URL does not answer", async () => {
    const port = await freePort();
    const started = Date.now();
    const failure = reachRedis(`redis://:hunter2@127.0.0.1:${port}`, { maxRetriesPerRequest: 3 });
    await expect(failure).rejects.toThrow(
      `Redis at redis://:***@127.0.0.1:${port} does not answer: connection refused (ECONNREFUSED). Check REDIS_URL`,
    );
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
