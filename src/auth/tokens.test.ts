import { describe, expect, it } from "vitest";
import { sha256Hex, tokenStore } from "./tokens.js";

describe("tokenStore", () => {
  const store = tokenStore([
    { name: "desk-supervisor", role: "team", team: "trading-desk", sha256: sha256Hex("desk-secret") },
    { name: "auditor", role: "auditor", sha256: sha256Hex("audit-secret") },
    { name: "ops", role: "admin", sha256: sha256Hex("admin-secret") },
  ]);
  it.each([
    ["Bearer desk-secret", { name: "desk-supervisor", role: "team", team: "trading-desk" }],
    ["bearer audit-secret", { name: "auditor", role: "auditor" }],
    ["Bearer admin-secret", { name: "ops", role: "admin" }],
    ["Bearer desk-secre", undefined],
    ["desk-secret", undefined],
    [undefined, undefined],
  ])("%s → %o", (header, principal) => {
    expect(store.authenticate(header)).toEqual(principal);
  });

  it("refuses a team token without a team", () => {
    expect(() => tokenStore([{ name: "x", role: "team", sha256: sha256Hex("x") }])).toThrow("needs a team");
  });
});
