// Call Automation's recognize action (docs/acs-payloads.md "Recognize"): the prompt plays, then the targeted
// participant answers what the test scripted for them — tones, words, or nothing — and one of RecognizeCompleted,
// RecognizeFailed or RecognizeCanceled goes to the operation's callback URI, else the connection's.
import type { z } from "zod";
import * as cb from "./events/callback-events.js";
import { invalidRequest } from "./errors.js";
import { rawIdOf } from "./identifiers.js";
import type { Call, Connection, RecognizeAnswer, Recognition } from "./model.js";
import { TONES, type recognizeAnswerRequest, type recognizeRequest } from "./schemas.js";
import type { SimState } from "./state.js";

type RecognizeRequest = z.infer<typeof recognizeRequest>;
type Tone = (typeof TONES)[number];

/** Defaults the SDK fills in when the app gives none (callMedia.js): 5 s initial silence, 2 s between tones. */
const DEFAULT_INITIAL_SILENCE_S = 5;
const DEFAULT_INTER_TONE_S = 2;
/** A scripted answer without `afterMs` comes this long after the prompt. */
const DEFAULT_ANSWER_AFTER_MS = 100;
/** Time between two scripted key presses. */
const TONE_SPACING_MS = 50;

const KEY_TONES: Record<string, Tone> = {
  "0": "zero",
  "1": "one",
  "2": "two",
  "3": "three",
  "4": "four",
  "5": "five",
  "6": "six",
  "7": "seven",
  "8": "eight",
  "9": "nine",
  a: "a",
  b: "b",
  c: "c",
  d: "d",
  "#": "pound",
  "*": "asterisk",
};

/** A key ("1", "#") or a wire name ("one", "pound") as the wire name. */
export function toneOf(key: string): Tone {
  const lower = key.toLowerCase();
  const named = (TONES as readonly string[]).includes(lower) ? (lower as Tone) : KEY_TONES[lower];
  if (!named) throw new Error(`not a DTMF tone: ${key}`);
  return named;
}

/** The test's script: what `rawId` answers the next recognize that targets them on this call. */
export function scriptAnswer(call: Call, req: z.infer<typeof recognizeAnswerRequest>): void {
  const answer: RecognizeAnswer =
    req.answer.kind === "dtmf"
      ? { kind: "dtmf", tones: req.answer.tones.map(toneOf), afterMs: req.answer.afterMs }
      : req.answer;
  const queue = call.recognizeAnswers.get(req.rawId) ?? [];
  queue.push(answer);
  call.recognizeAnswers.set(req.rawId, queue);
}

type Outcome =
  | { kind: "completed"; atMs: number; data: Parameters<typeof cb.recognizeCompleted>[3] }
  | { kind: "failed"; atMs: number; subCode: number; message: string };

/**
 * The outcome of one recognize for one scripted answer, and when it comes (ms after the request). Pure. The codes
 * and messages are Microsoft's (docs/acs-payloads.md "Recognize"); what is marked unconfirmed there is our reading.
 */
export function outcomeOf(body: RecognizeRequest, answer: RecognizeAnswer, promptMs: number): Outcome {
  const o = body.recognizeOptions;
  const type = body.recognizeInputType;
  const silenceMs = (o.initialSilenceTimeoutInSeconds ?? DEFAULT_INITIAL_SILENCE_S) * 1000;
  const silence: Outcome = {
    kind: "failed",
    atMs: promptMs + silenceMs,
    subCode: 8510,
    message: "Action failed, initial silence timeout reached.",
  };
  if (answer.kind === "silent") return silence;
  const startMs = answer.afterMs ?? DEFAULT_ANSWER_AFTER_MS;
  // An answer after the initial silence timeout comes too late: the recognize has already failed.
  if (startMs > silenceMs) return silence;
  const heardAt = promptMs + startMs;
  const listensForTones = type === "dtmf" || type === "speechOrDtmf" || type === "choices";
  const listensForSpeech = type === "speech" || type === "speechOrDtmf" || type === "choices";

  if (answer.kind === "dtmf") {
    if (!listensForTones) return silence; // key presses are no speech
    if (type === "choices") {
      const first = answer.tones[0];
      const choice = o.choices?.find((c) => c.tone !== undefined && c.tone === first);
      if (!choice)
        return { kind: "failed", atMs: heardAt, subCode: 8534, message: "Action failed, incorrect tone detected." };
      return {
        kind: "completed",
        atMs: heardAt,
        data: { recognitionType: "choices", choiceResult: { label: choice.label }, subCode: 8533 },
      };
    }
    const dtmf = o.dtmfOptions ?? {};
    const max = dtmf.maxTonesToCollect ?? 1;
    const stops = new Set<string>(dtmf.stopTones ?? []);
    const collected: Tone[] = [];
    for (const [i, t] of answer.tones.entries()) {
      const at = heardAt + i * TONE_SPACING_MS;
      if (stops.has(t)) {
        return {
          kind: "completed",
          atMs: at,
          data: { recognitionType: "dtmf", dtmfResult: { tones: collected }, subCode: 8514 },
        };
      }
      collected.push(t as Tone);
      if (collected.length === max)
        return {
          kind: "completed",
          atMs: at,
          data: { recognitionType: "dtmf", dtmfResult: { tones: collected }, subCode: 8531 },
        };
    }
    // Fewer tones than asked for and no stop tone: the inter-tone timeout ends it.
    const lastAt = heardAt + (answer.tones.length - 1) * TONE_SPACING_MS;
    return {
      kind: "failed",
      atMs: lastAt + (dtmf.interToneTimeoutInSeconds ?? DEFAULT_INTER_TONE_S) * 1000,
      subCode: 8532,
      message: "Action failed, inter-digit silence timeout reached.",
    };
  }

  // Speech.
  if (!listensForSpeech) return silence;
  const endMs = heardAt + (o.speechOptions?.endSilenceTimeoutInMs ?? 0);
  if (type === "choices") {
    const said = answer.phrase.trim().toLowerCase();
    const choice = o.choices?.find((c) => c.phrases.some((p) => p.trim().toLowerCase() === said));
    if (!choice)
      return { kind: "failed", atMs: endMs, subCode: 8547, message: "Action failed, speech option not matched." };
    return {
      kind: "completed",
      atMs: endMs,
      data: {
        recognitionType: "choices",
        choiceResult: { label: choice.label, recognizedPhrase: answer.phrase },
        subCode: 8545,
      },
    };
  }
  return {
    kind: "completed",
    atMs: endMs,
    data: { recognitionType: "speech", speechResult: { speech: answer.phrase }, subCode: 8545 },
  };
}

/** Runs one recognize: checks the target, takes their next scripted answer, and sends the outcome when it comes. */
export function recognize(s: SimState, call: Call, conn: Connection, body: RecognizeRequest): Recognition {
  const target = rawIdOf(body.recognizeOptions.targetParticipant);
  // The real service's answer for a target not on the call is unconfirmed.
  if (!target || !call.participants.some((p) => p.rawId === target))
    throw invalidRequest("targetParticipant is not a participant of the call.");
  const queue = call.recognizeAnswers.get(target) ?? [];
  const answer = queue.shift() ?? { kind: "silent" };
  const recognition: Recognition = {
    callConnectionId: conn.callConnectionId,
    operationContext: body.operationContext,
    target,
    inputType: body.recognizeInputType,
    requestedAt: new Date(),
  };
  call.recognitions.push(recognition);
  const uri = body.operationCallbackUri ?? conn.callbackUri;
  // A prompt plays as long as a play does here (connectMs); the silence timer starts when it ends.
  const prompted = body.playPrompt !== undefined || (body.playPrompts?.length ?? 0) > 0;
  const outcome = outcomeOf(body, answer, prompted ? s.opts.timings.connectMs : 0);
  let done = false;
  const finish = (name: NonNullable<Recognition["outcome"]>, subCode: number) => {
    done = true;
    recognition.outcome = name;
    recognition.subCode = subCode;
    recognition.endedAt = new Date();
    recognition.cancel = undefined;
  };
  s.later(call, outcome.atMs, () => {
    if (done || conn.state === "disconnected") return;
    if (outcome.kind === "completed") {
      finish("RecognizeCompleted", outcome.data.subCode);
      s.callback(uri, cb.recognizeCompleted(call, conn, body.operationContext, outcome.data));
    } else {
      finish("RecognizeFailed", outcome.subCode);
      s.callback(
        uri,
        cb.recognizeFailed(call, conn, body.operationContext, { subCode: outcome.subCode, message: outcome.message }),
      );
    }
  });
  recognition.cancel = () => {
    if (done) return;
    finish("RecognizeCanceled", 8508);
    s.callback(uri, cb.recognizeCanceled(call, conn, body.operationContext));
  };
  s.log({
    msg: "recognize",
    serverCallId: call.serverCallId,
    target,
    inputType: body.recognizeInputType,
    answer: answer.kind,
  });
  return recognition;
}

/** cancelAllMediaOperations: every recognize still pending on the connection ends with RecognizeCanceled. */
export function cancelAll(call: Call, conn: Connection): void {
  for (const r of call.recognitions) if (r.callConnectionId === conn.callConnectionId) r.cancel?.();
}
