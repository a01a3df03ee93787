import { describe, expect, it } from "vitest";
import type { Principal } from "../auth/tokens.js";
import { sameBytesOtherText } from "../../test/support/base64url.js";
import { signTicket, verifyTicket } from "./tickets.js";

const SECRET = "k".repeat(32);
const team: Principal = { name: "desk-supervisor", role: "team", team: "trading-desk" };
const auditor: Principal = { name: "internal-audit", role: "auditor" };
const NOW = 1_800_000_000_000;
const claims = { principal: team, recordingId: "rec/+=1", chunk: 2, expiresAt: NOW + 60_000 };
const expect_ = { recordingId: "rec/+=1", chunk: 2, now: NOW };

describe("stream tickets", () => {
  it("carry the principal, recording, chunk and expiry they were signed with", () => {
    expect(verifyTicket(SECRET, signTicket(SECRET, claims), expect_)).toEqual(claims);
    const forAuditor = { ...claims, principal: auditor };
    expect(verifyTicket(SECRET, signTicket(SECRET, forAuditor), expect_)).toEqual(forAuditor);
  });

  const valid = signTicket(SECRET, claims);
  const [payload, signature] = valid.split(".") as [string, string];
  const tamperedPayload = Buffer.from(
    Buffer.from(payload, "base64url").toString("utf8").replace("trading-desk", "legal"),
  ).toString("base64url");

  it.each([
    ["another recording", valid, { ...expect_, recordingId: "rec-2" }],
    ["another chunk", valid, { ...expect_, chunk: 3 }],
    ["expired", valid, { ...expect_, now: NOW + 60_000 }],
    ["signed with another key", signTicket("o".repeat(32), claims), expect_],
    ["claims changed (another team)", `${tamperedPayload}.${signature}`, expect_],
    ["signature cut short", `${payload}.${signature.slice(0, 10)}`, expect_],
    ["signature spelled otherwise (unused bits)", `${payload}.${sameBytesOtherText(signature)}`, expect_],
    ["no signature", payload, expect_],
    ["three parts", `${valid}.x`, expect_],
    ["garbage", "not-a-ticket", expect_],
  ])("refused: %s", (_what, ticket, expected) => {
    expect(verifyTicket(SECRET, ticket, expected)).toBeUndefined();
  });
});
