import { describe, expect, it } from "vitest";
import { secretMatcher } from "./secrets.js";

describe("secretMatcher", () => {
  const secret = "s3cret-0123456789abcdef";
  const long = "L".repeat(300);
  it.each([
    ["the secret", [secret], secret, true],
    ["the second of two (rotation)", ["old-secret", secret], secret, true],
    ["nothing", [secret], undefined, false],
    ["an empty candidate", [secret], "", false],
    ["a prefix of the secret", [secret], secret.slice(0, -1), false],
    ["the secret and more", [secret], `${secret}x`, false],
    ["the secret padded with NULs", [secret], `${secret}\u0000`, false],
    ["one character changed", [secret], `${secret.slice(0, -1)}g`, false],
    ["a candidate wider than the compared width", [secret], "x".repeat(10_000), false],
    ["a secret longer than the default width", [long], long, true],
    ["that secret less its last byte", [long], long.slice(0, -1), false],
    ["multi-byte characters", ["pässwört-€"], "pässwört-€", true],
    ["multi-byte look-alike", ["pässwört-€"], "passwort-€", false],
    ["no secrets configured", [], secret, false],
  ])("%s", (_name, secrets, candidate, matches) => {
    expect(secretMatcher(secrets)(candidate)).toBe(matches);
  });

  it("gives the same answer when asked again (its scratch buffer is reset)", () => {
    const isSecret = secretMatcher([secret]);
    expect(isSecret(`${secret}-and-a-longer-tail`)).toBe(false);
    expect(isSecret(secret)).toBe(true);
    expect(isSecret(secret.slice(0, 5))).toBe(false);
  });
});
