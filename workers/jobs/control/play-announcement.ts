import type { FileSource, TextSource } from "@azure/communication-call-automation";
import { identifierFromRawId } from "../../../src/acs/index.js";
import { announcementContextOf, type AnnouncementStep } from "../../../src/calls/index.js";
import { consentTimeout, playAnnouncement, type PayloadOf } from "../../../src/queues/index.js";
import { defineJob, type JobDependencies } from "../../job.js";
import { rethrowAcsError } from "./acs-errors.js";

/** The operationContext that marks the first announcement's PlayCompleted / PlayFailed callbacks. */
export { ANNOUNCEMENT_CONTEXT } from "../../../src/calls/index.js";

/** How long a notice may take to be reported played (PlayCompleted) before it counts as not played. */
export const NOTICE_PLAYED_WITHIN_SECONDS = 60;

type Deps = JobDependencies<"acs" | "sessions" | "queues">;

/** The once-per-call step a play is (its claim, its job's key, its operationContext). */
function stepOf(payload: PayloadOf<"play-announcement">): AnnouncementStep {
  if (payload.playTo !== undefined) return `announce-to:${payload.playTo}`;
  if (payload.recordingId !== undefined) return `announce:${payload.recordingId}`;
  return "announce";
}

/**
 * Plays the policy's recording announcement to everyone on the call, or (`playTo`) to one party who joined after it
 * was announced (docs/recording-control.md "Announce"); the outcome arrives as a callback.
 */
async function perform(deps: Deps, payload: PayloadOf<"play-announcement">) {
  const { serverCallId, correlationId, callConnectionId, announcement, notice, playTo } = payload;
  const step = stepOf(payload);
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
  // When it was asked, before asking: who was on the call by then heard it (src/calls/announce.ts presentAt). A
  // retry keeps the first moment; ACS's answer may come before our next write, so this comes first.
  await deps.sessions.noteAnnouncementRequested(serverCallId, step, {
    requestedAt: new Date().toISOString(),
    ...(playTo !== undefined ? { to: playTo } : {}),
  });
  const operationContext = announcementContextOf(step);
  const media = deps.acs.getCallConnection(callConnectionId).getCallMedia();
  try {
    // CallMedia.play with playTo plays to the participants named only; playToAll to everyone (SDK 1.6.0,
    // https://learn.microsoft.com/azure/communication-services/how-tos/call-automation/play-action).
    if (playTo !== undefined) await media.play([source], [identifierFromRawId(playTo)], { operationContext });
    else await media.playToAll([source], { operationContext });
  } catch (error) {
    rethrowAcsError(error, deps.logger, { serverCallId, correlationId, step }, "play announcement");
  }
  // Never over ACS's result: a fast PlayCompleted may have been folded in already (noteAnnouncementAsked).
  if (step === "announce") await deps.sessions.noteAnnouncementAsked(serverCallId);
  // A notice gates the recording: should its PlayCompleted / PlayFailed never come, the watchdog says so.
  if (notice)
    await deps.queues.enqueue(
      consentTimeout,
      { serverCallId, correlationId, afterSeconds: NOTICE_PLAYED_WITHIN_SECONDS },
      { delayMs: NOTICE_PLAYED_WITHIN_SECONDS * 1000 },
    );
  deps.logger.info(
    { serverCallId, correlationId, step, ...(playTo ? { playTo } : {}) },
    "recording announcement requested",
  );
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
