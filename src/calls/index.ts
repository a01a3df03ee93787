export {
  factsOfEvent,
  listedParticipants,
  presenceOfEvent,
  recordingUpdateOf,
  type PresenceOfEvent,
} from "./events.js";
export { ANNOUNCEMENT_CONTEXT, announcementContextOf, announcementStepOf, type AnnouncementStep } from "./announce.js";
export { ingestJobsOf, recordingCluesOf, type IngestJob, type RecordingClues } from "./ingest-jobs.js";
export {
  dueActions,
  needsHealth,
  planCall,
  scopeAction,
  SCOPE_STOP_SETTLE_MS,
  timeToRecordOrigin,
  type CallPlan,
  type PlannedJob,
  type Ringing,
  type ScopeAction,
} from "./plan.js";
export {
  CONSENT_CONTEXT,
  CONSENT_PAUSE_BY,
  consentAnswerOf,
  consentContextOf,
  consentGate,
  consentOf,
  consentOutstanding,
  consentRecordOf,
  fallbackReason,
  hasRecording,
  isFurtherParty,
  ledgerConsentOf,
  partiesOf,
  type ConsentGate,
  type PartyConsent,
} from "./consent.js";
export { ourSideOnlyPlan, unarchivedPartiesOf } from "./our-side-only.js";
export { pauseVerdict, type PauseJob, type PauseOperation, type PauseVerdict } from "./pause.js";
export { scopeVerdict, type PresenceObservation, type ScopeVerdict } from "./scope.js";
export { stopVerdict, type StopVerdict } from "./stop.js";
