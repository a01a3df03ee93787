import { RestError } from "@azure/core-rest-pipeline";
import { describe, expect, it } from "vitest";
import { classifyAcsError } from "./errors.js";

const rest = (statusCode: number, code?: string) => new RestError("boom", { statusCode, ...(code ? { code } : {}) });

describe("classifyAcsError", () => {
  it.each([
    [rest(404, "8522"), "call-gone", false],
    [rest(400, "8528"), "call-gone", false],
    [rest(400, "8501"), "not-established", true],
    [rest(400, "8559"), "already-recording", false],
    [rest(409, "8553"), "already-recording", false],
    [rest(409, "8571"), "conflict", true],
    [rest(409, "8519"), "conflict", true],
    [rest(400, "8500"), "conflict", true],
    [rest(405, "8573"), "not-allowed", false],
    [rest(400, "8562"), "not-allowed", false],
    [rest(403, "8524"), "not-allowed", false],
    [rest(401, "7507"), "unauthorized", false],
    [rest(429), "throttled", true],
    [rest(503), "transient", true],
    [rest(500, "9999"), "transient", true],
    [rest(401), "unauthorized", false],
    [rest(403), "unauthorized", false],
    [rest(404), "call-gone", false],
    [rest(400, "8523"), "invalid", false],
    [new Error("connect ECONNREFUSED 127.0.0.1:1"), "transient", true],
    [rest(302), "unknown", true],
  ])("%s → %s (retry %s)", (error, outcome, retry) => {
    const meaning = classifyAcsError(error);
    expect(meaning).toMatchObject({ outcome, retry });
    expect(meaning.description.length).toBeGreaterThan(5);
  });
});
