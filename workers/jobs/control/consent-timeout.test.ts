import { describe, expect, it } from "vitest";
import type { CallSession } from "../../../src/sessions/index.js";
import { consentTimeoutJob } from "./consent-timeout.js";

const asked = JSON.stringify({
  requirement: "consent",
  at: "2026-12-04T10:00:01Z",
  decidedBy: { party: "4:+14155550123", jurisdiction: "US-CA", set: "all-party-consent" },
  target: "4:+14155550123",
  prompt: { text: "Press 1", locale: "en-US" },
  accept: { dtmf: ["1"], speech: [] },
  timeoutSeconds: 5,
  onRefusal: "record-nothing",
  onSilence: "end-call",
  explanation: "",
});

const session = (changes: Partial<CallSession>) =>
  ({
    serverCallId: "call-1",
    correlationId: "corr-1",
    participants: [],
    ended: false,
    presence: [],
    stops: {},
    recordings: {},
    consentAsked: asked,
    consentAnswer: undefined,
    ...changes,
  }) as CallSession;

/** Fakes that keep what was written; `advance` meets no policy (nothing recorded), so it only settles. */
function fakes(read: CallSession) {
  const written: string[] = [];
  let settled = 0;
  const quiet = () => undefined;
  const deps = {
    sessions: {
      get: async () => read,
      addFacts: async (_call: string, facts: { consentAnswer?: string }) => {
        if (facts.consentAnswer) written.push(facts.consentAnswer);
        return { ...read, consentAnswer: facts.consentAnswer };
      },
      settle: async () => {
        settled += 1;
        return new Set();
      },
    },
    policies: () => [],
    policiesFor: () => undefined,
    consentEnvironment: () => null,
    queues: { enqueue: async () => undefined, remove: async () => undefined },
    logger: { info: quiet, warn: quiet, error: quiet, debug: quiet },
  };
  return { written, settled: () => settled, deps: deps as never };
}

const run = (deps: never) =>
  consentTimeoutJob.perform(
    deps,
    { serverCallId: "call-1", correlationId: "corr-1", afterSeconds: 35 },
    { attempt: 1, progress: async () => undefined },
  );

describe("consent-timeout", () => {
  it("no answer came: the question counts as failed, and the call is planned again", async () => {
    const { written, settled, deps } = fakes(session({}));
    await run(deps);
    expect(written.map((w) => JSON.parse(w) as { outcome: string; message: string })).toMatchObject([
      { outcome: "failed", message: "no answer from ACS within 35 s of asking" },
    ]);
    expect(settled()).toBe(1);
  });

  it("an answer came, nothing was asked, or the call ended: nothing", async () => {
    for (const read of [
      session({ consentAnswer: JSON.stringify({ outcome: "given", at: "2026-12-04T10:00:04Z" }) }),
      session({ consentAsked: undefined }),
      session({ ended: true }),
    ]) {
      const { written, settled, deps } = fakes(read);
      await run(deps);
      expect(written).toEqual([]);
      expect(settled()).toBe(0);
    }
  });
});
