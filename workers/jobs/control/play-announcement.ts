import type { FileSource, TextSource } from "@azure/communication-call-automation";
import { consentTimeout, playAnnouncement, type PayloadOf } from "../../../src/queues/index.js";
import { defineJob, type JobDependencies } from "../../job.js";
import { rethrowAcsError } from "./acs-errors.js";

/** The operationContext that marks our announcement's PlayCompleted / PlayFailed callbacks. */
export const ANNOUNCEMENT_CONTEXT = "recording-announcement";

/** How long a notice may take to be reported played (PlayCompleted) before it counts as not played. */
export const NOTICE_PLAYED_WITHIN_SECONDS = 60;

type Deps = JobDependencies<"acs" | "sessions" | "queues">;

/** Plays the policy's recording announcement to everyone on the call; the outcome arrives as a callback. */
async function perform(deps: Deps, payload: PayloadOf<"play-announcement">) {
  const { serverCallId, correlationId, callConnectionId, announcement, notice } = payload;
  // The notice a jurisdiction requires before recording: on record before it is played (keep-first: a retry keeps the first).
  if (notice)
    await deps.sessions.addFacts(serverCallId, {
      consentAsked: JSON.stringify({ ...notice, at: new Date().toISOString() }),
    });
  const source: FileSource | TextSource =
    "audioUrl" in announcement
      ? { kind: "fileSource", url: announcement.audioUrl }
      : {
          kind: "textSource",
          text: announcement.text,
          ...(announcement.locale ? { sourceLocale: announcement.locale } : {}),
        };
  try {
    await deps.acs.getCallConnection(callConnectionId).getCallMedia().playToAll([source], {
      operationContext: ANNOUNCEMENT_CONTEXT,
    });
  } catch (error) {
    rethrowAcsError(error, deps.logger, { serverCallId, correlationId }, "play announcement");
  }
  await deps.sessions.setAnnouncement(serverCallId, { status: "requested" });
  // A notice gates the recording: should its PlayCompleted / PlayFailed never come, the watchdog says so.
  if (notice)
    await deps.queues.enqueue(
      consentTimeout,
      { serverCallId, correlationId, afterSeconds: NOTICE_PLAYED_WITHIN_SECONDS },
      { delayMs: NOTICE_PLAYED_WITHIN_SECONDS * 1000 },
    );
  deps.logger.info({ serverCallId, correlationId }, "recording announcement requested");
}

/**
 * A notice ACS would not play (every attempt failed, or refused for good): it counts as not played — at once, through
 * the watchdog's job, which plans the call again (nothing is recorded without the notice).
 */
async function onExhausted(deps: Deps, payload: PayloadOf<"play-announcement">, error: Error): Promise<void> {
  if (!payload.notice) return;
  const { serverCallId, correlationId } = payload;
  await deps.queues.enqueue(consentTimeout, {
    serverCallId,
    correlationId,
    afterSeconds: 0,
    reason: `the notice could not be played: ${error.message}`,
  });
}

export const playAnnouncementJob = defineJob(playAnnouncement, {
  needs: ["acs", "sessions", "queues"],
  perform,
  onExhausted,
});
