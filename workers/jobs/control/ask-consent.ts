import type {
  CallMediaRecognizeDtmfOptions,
  CallMediaRecognizeSpeechOrDtmfOptions,
  FileSource,
  TextSource,
} from "@azure/communication-call-automation";
import { CONSENT_CONTEXT } from "../../../src/calls/index.js";
import { identifierFromRawId } from "../../../src/acs/index.js";
import { askConsent, consentTimeout, type PayloadOf } from "../../../src/queues/index.js";
import type { ConsentAnswer, SpokenMessage } from "../../../src/sessions/index.js";
import { defineJob, type JobDependencies } from "../../job.js";
import { rethrowAcsError } from "./acs-errors.js";
import { advanceNeeds } from "./advance-needs.js";
import { advance } from "./call-event.js";

type Payload = PayloadOf<"ask-consent">;
const needs = ["acs", ...advanceNeeds] as const;
type Deps = JobDependencies<(typeof needs)[number]>;

/** How long past the policy's timeout an answer may take to arrive before the watchdog gives up on it. */
export const CONSENT_ANSWER_GRACE_SECONDS = 30;

/** A message as Call Automation plays it. */
export function playSourceOf(message: SpokenMessage): FileSource | TextSource {
  return "audioUrl" in message
    ? { kind: "fileSource", url: message.audioUrl }
    : { kind: "textSource", text: message.text, sourceLocale: message.locale };
}

/**
 * The recognize that asks for consent (docs/acs-payloads.md "Recognize"): the prompt, then one key or — when the
 * policy accepts spoken answers — speech as well, on the asked party's leg only. The initial silence timeout is the
 * policy's `timeoutSeconds` (the consent rules keep it within Microsoft's limits: 20 s with speech, 300 s DTMF).
 */
export function recognizeOptionsOf(
  asked: Payload["asked"],
): CallMediaRecognizeDtmfOptions | CallMediaRecognizeSpeechOrDtmfOptions {
  const common = {
    playPrompt: playSourceOf(asked.prompt),
    initialSilenceTimeoutInSeconds: asked.timeoutSeconds,
    interruptPrompt: true,
    operationContext: CONSENT_CONTEXT,
    maxTonesToCollect: 1,
  };
  if (asked.accept.speech.length === 0) return { kind: "callMediaRecognizeDtmfOptions", ...common };
  return {
    kind: "callMediaRecognizeSpeechOrDtmfOptions",
    ...common,
    endSilenceTimeoutInSeconds: 1,
    ...("locale" in asked.prompt ? { speechLanguage: asked.prompt.locale } : {}),
  };
}

/**
 * Asks the deciding party for consent: the ask goes on record first (a keep-first fact: a retry keeps the first
 * time), then ACS plays the prompt and listens. The answer arrives as RecognizeCompleted / RecognizeFailed.
 */
async function perform(deps: Deps, payload: Payload): Promise<void> {
  const { serverCallId, correlationId, callConnectionId, asked } = payload;
  await deps.sessions.addFacts(serverCallId, {
    consentAsked: JSON.stringify({ ...asked, at: new Date().toISOString() }),
  });
  try {
    await deps.acs
      .getCallConnection(callConnectionId)
      .getCallMedia()
      .startRecognizing(identifierFromRawId(asked.target), recognizeOptionsOf(asked));
  } catch (error) {
    rethrowAcsError(error, deps.logger, { serverCallId, correlationId, target: asked.target }, "ask for consent");
  }
  // Should ACS's answer never come (a lost callback), the watchdog applies the silence fallback.
  const afterSeconds = asked.timeoutSeconds + CONSENT_ANSWER_GRACE_SECONDS;
  await deps.queues.enqueue(
    consentTimeout,
    { serverCallId, correlationId, afterSeconds },
    { delayMs: afterSeconds * 1000 },
  );
  deps.logger.info(
    {
      serverCallId,
      correlationId,
      target: asked.target,
      decidedBy: asked.decidedBy,
      timeoutSeconds: asked.timeoutSeconds,
    },
    "consent asked",
  );
}

/**
 * The question could not be put (every attempt failed, or ACS said the call is gone): no consent. Kept as the call's
 * answer (`failed`), then the call is planned again, so the policy's silence fallback applies now.
 */
async function onExhausted(deps: Deps, payload: Payload, error: Error): Promise<void> {
  const { serverCallId, correlationId } = payload;
  const answer: ConsentAnswer = {
    outcome: "failed",
    at: new Date().toISOString(),
    message: `could not ask: ${error.message}`,
  };
  const session = await deps.sessions.addFacts(serverCallId, {
    consentAsked: JSON.stringify({ ...payload.asked, at: answer.at }),
    consentAnswer: JSON.stringify(answer),
  });
  deps.logger.error({ serverCallId, correlationId, alert: true, reason: error.message }, "could not ask for consent");
  await advance(deps, session, `ask-consent-exhausted:${serverCallId}`);
}

export const askConsentJob = defineJob(askConsent, {
  needs,
  perform,
  onExhausted,
  beforeRecording: true,
});
