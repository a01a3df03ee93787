export { createReviewArchive, ReviewConflict, type ReviewArchive } from "./archive.js";
export { createReviewIndex, type IndexedReview, type ReviewIndex } from "./index-store.js";
export {
  createScorecardSource,
  loadScorecards,
  readScorecards,
  isScorecardFile,
  OLD_SCORECARD_FOLDER,
  SCORECARD_FILE,
  type ScorecardSource,
} from "./load.js";
export { itemAssigned, itemStarted, orderQueue, QUEUE_STATUSES, type QueueItem, type QueueStatus } from "./queue.js";
export { createReviewQueue, type ItemChange, type ReviewQueue } from "./queue-store.js";
export { reportCsv, reviewReport, type ReportRow } from "./report.js";
export { FLAG_KINDS, submission, type ReviewDocument, type Submission } from "./review.js";
export { isoWeek } from "./sampling.js";
export { lintScorecards, ScorecardError, type Scorecard, type ScorecardIssue } from "./scorecard.js";
export {
  agentOf,
  applyToQueue,
  assignReviewer,
  fillQueue,
  reindexReviews,
  ReviewRefused,
  reviewStatusOf,
  startReviewing,
  submitReview,
  teamReport,
  type FillDependencies,
  type ManifestFacts,
  type RecordingRef,
  type ReviewStores,
} from "./service.js";
export { createReviewStores, manifestFacts, recordingsSince } from "./stores.js";
