import { describe, expect, it } from "vitest";
import * as documented from "../../test/fixtures/documented-events.js";
import type { AcsEvent } from "../intake/schemas.js";
import { CONTEXT_KEPT_APART, contextOf, withContextsKeptApart, type RingContexts } from "./ring-context.js";

function memoryContexts(): RingContexts & { kept: Map<string, string> } {
  const kept = new Map<string, string>();
  return {
    kept,
    put: async (id, context) => void kept.set(id, context),
    get: async (id) => kept.get(id),
    forget: async (id) => void kept.delete(id),
  };
}

/** Documented Event Grid events as the relay hands them on (parsed: `type`, `time`). */
const parsed = (envelope: { id: string; subject: string; eventType: string; eventTime: string; data: object }) =>
  ({
    id: envelope.id,
    type: envelope.eventType,
    subject: envelope.subject,
    time: envelope.eventTime,
    data: envelope.data,
  }) as AcsEvent;
const incoming = parsed(documented.incomingCall) as Extract<AcsEvent, { type: "Microsoft.Communication.IncomingCall" }>;
const started = parsed(documented.callStarted);

describe("IncomingCall contexts are kept apart from job data", () => {
  it("moves the context of an IncomingCall out of its payload; other events pass unchanged", async () => {
    const contexts = memoryContexts();
    const jobs = [
      { payload: { event: incoming, receivedAt: "t" }, jobId: "a" },
      { payload: { event: started, receivedAt: "t" }, jobId: "b" },
    ];
    const queued = await withContextsKeptApart(contexts, jobs);
    expect(JSON.stringify(queued)).not.toContain(incoming.data.incomingCallContext);
    expect(queued[0]!.payload.event.data).toMatchObject({ incomingCallContext: CONTEXT_KEPT_APART });
    expect(queued[0]!.payload.event.data.serverCallId).toBe(incoming.data.serverCallId);
    expect(queued[1]).toBe(jobs[1]);
    expect(contexts.kept.get(incoming.data.serverCallId)).toBe(incoming.data.incomingCallContext);
    // The events given are not changed (the relay may log or set them aside).
    expect(jobs[0]!.payload.event.data).toMatchObject({ incomingCallContext: incoming.data.incomingCallContext });
  });

  it.each([
    ["carried by the job (queued directly)", "ctx-carried", undefined, { context: "ctx-carried", keptApart: false }],
    ["kept apart and still there", CONTEXT_KEPT_APART, "ctx-kept", { context: "ctx-kept", keptApart: true }],
    ["kept apart but expired", CONTEXT_KEPT_APART, undefined, { context: undefined, keptApart: true }],
  ])("a job's context when %s", async (_name, carried, stored, expected) => {
    const contexts = memoryContexts();
    if (stored) await contexts.put("call-1", stored);
    expect(await contextOf(contexts, "call-1", carried)).toEqual(expected);
  });
});
