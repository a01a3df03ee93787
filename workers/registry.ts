import type { JobName, PayloadOf } from "../src/queues/index.js";
import type { JobContext, WorkerDependencies } from "./dependencies.js";
import * as callEvent from "./jobs/call-event.js";
import * as checkRecording from "./jobs/check-recording.js";
import * as confirmPresence from "./jobs/confirm-presence.js";
import * as connectCall from "./jobs/connect-call.js";
import * as connectRinging from "./jobs/connect-ringing.js";
import * as enforceStart from "./jobs/enforce-start.js";
import * as exportRecordings from "./jobs/export-recordings.js";
import * as expectRecording from "./jobs/expect-recording.js";
import * as ingestChunk from "./jobs/ingest-chunk.js";
import * as pauseRecording from "./jobs/pause-recording.js";
import * as playAnnouncement from "./jobs/play-announcement.js";
import * as probeStorage from "./jobs/probe-storage.js";
import * as rejectCall from "./jobs/reject-call.js";
import * as resumeRecording from "./jobs/resume-recording.js";
import * as startRecording from "./jobs/start-recording.js";
import * as stopRecording from "./jobs/stop-recording.js";
import * as sweepGaps from "./jobs/sweep-gaps.js";
import * as sweepIngestDeadlines from "./jobs/sweep-ingest-deadlines.js";

type Perform<N extends JobName> = (
  deps: WorkerDependencies,
  payload: PayloadOf<N>,
  context: JobContext,
) => Promise<unknown>;

/** Each job kind's one `perform`; the payload contract and retry options live in src/queues. */
export const performers: { [N in JobName]: Perform<N> } = {
  "call-event": callEvent.perform,
  "check-recording": checkRecording.perform,
  "connect-call": connectCall.perform,
  "connect-ringing": connectRinging.perform,
  "enforce-start": enforceStart.perform,
  "expect-recording": expectRecording.perform,
  "export-recordings": exportRecordings.perform,
  "start-recording": startRecording.perform,
  "reject-call": rejectCall.perform,
  "probe-storage": probeStorage.perform,
  "sweep-gaps": sweepGaps.perform,
  "sweep-ingest-deadlines": sweepIngestDeadlines.perform,
  "ingest-chunk": ingestChunk.perform,
  "play-announcement": playAnnouncement.perform,
  "pause-recording": pauseRecording.perform,
  "resume-recording": resumeRecording.perform,
  "stop-recording": stopRecording.perform,
  "confirm-presence": confirmPresence.perform,
};

export function isJobName(name: string): name is JobName {
  return Object.hasOwn(performers, name);
}
