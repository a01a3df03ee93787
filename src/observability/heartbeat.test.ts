import { describe, expect, it } from "vitest";
import { heartbeatMember, parseMember } from "./heartbeat.js";

describe("heartbeat members", () => {
  const older = ["control", "ingest", "retrieval"];
  const every = ["control", "ingest", "retrieval", "operations"];
  it.each([
    ["one role", "pod-1@control", "pod-1", ["control"]],
    ["several, in any order", "pod-1@operations,ingest", "pod-1", ["ingest", "operations"]],
    ["every role, written out", "pod-1@control,ingest,retrieval,operations", "pod-1", every],
    ["an older worker's `all`: not the operations queue", "pod-1@all", "pod-1", older],
    ["a worker from before roles (no `@`)", "pod-1", "pod-1", older],
    ["an id holding `@`: the last one separates", "host@dc-1@ingest", "host@dc-1", ["ingest"]],
    ["a newer worker's role this version does not know: every role", "pod-1@control,transcription", "pod-1", every],
  ])("%s", (_name, member, id, roles) => {
    expect(parseMember(member)).toEqual({ id, roles });
  });

  it("a worker of this version writes its roles out, and reads back what it wrote", () => {
    const member = heartbeatMember("pod-9", ["control", "ingest", "retrieval", "operations"]);
    expect(member).toBe("pod-9@control,ingest,retrieval,operations");
    expect(parseMember(member)).toEqual({ id: "pod-9", roles: every });
    expect(parseMember(heartbeatMember("pod-9", ["ingest"]))).toEqual({ id: "pod-9", roles: ["ingest"] });
  });
});
