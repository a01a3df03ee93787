import { describe, expect, it } from "vitest";
import { durabilityLabel, parseDurability } from "./durability.js";

describe("INTAKE_DURABILITY", () => {
  it.each([
    ["memory", { mode: "memory" }, "memory"],
    ["aof", { mode: "aof" }, "aof"],
    ["replicas:1", { mode: "replicas", replicas: 1, timeoutMs: 750 }, "replicas:1"],
    ["replicas:12", { mode: "replicas", replicas: 12, timeoutMs: 750 }, "replicas:12"],
  ])("reads %s", (text, durability, label) => {
    expect(parseDurability(text, 750)).toEqual(durability);
    expect(durabilityLabel(parseDurability(text, 750)!)).toBe(label);
  });

  it.each([
    "",
    "AOF",
    "replicas",
    "replicas:0",
    "replicas:01",
    "replicas:100",
    "replicas:-1",
    "wait:1",
    "aof,replicas:1",
  ])("refuses %j", (text) => {
    expect(parseDurability(text, 750)).toBeUndefined();
  });
});
