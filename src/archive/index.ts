export { AssignRefused, type AssignRequest, type AssignStores, assignRecording } from "./assign.js";
export { type DeadlineAlertClaims, createDeadlineAlertClaims } from "./deadline-alerts.js";
export {
  type DeadlineStatus,
  acsExpiry,
  deadlineStatus,
  ingestPriority,
  LEAST_URGENT_PRIORITY,
  reviewWaitingChunk,
} from "./deadline.js";
export {
  IngestRefused,
  IngestVerificationFailed,
  ingestContent,
  ingestDocument,
  isRecordingStatus,
  readDocument,
} from "./ingest.js";
export { chunkLabels } from "./labels.js";
export { type ArchivedChunk, acsMetadataDocument, buildManifest, stopOfRecording } from "./manifest.js";
export { QUARANTINE_AREA, chunkBlobNames, recordingFolder, safeSegment } from "./naming.js";
export { type Placement, placeRecording } from "./placement.js";
export { type RetentionPort, azureRetention, noRetention } from "./retention.js";
export {
  type ManifestSignature,
  type ManifestSignatureReport,
  manifestSignatureReport,
  signManifest,
} from "./manifest-signature.js";
export { writeManifest } from "./manifest-store.js";
export {
  type SealedInPlace,
  type StorageRoute,
  blobAt,
  candidateDays,
  customerContainer,
  findChunkBlobs,
  isInPlace,
  matchChunkBlobs,
  parseContainerUrl,
  readDocumentInPlace,
  sealContentInPlace,
  sealDocumentInPlace,
  storageRoute,
} from "./customer-storage.js";
export {
  type ChunkPeaks,
  IN_PLACE_PEAKS_AREA,
  PEAKS_PER_SECOND,
  peaksBlobName,
  WavPeaks,
  writeChunkPeaks,
} from "./peaks.js";
export {
  ChannelPicker,
  keepChannels,
  keptWavHeader,
  parseWavHeader,
  selectChannels,
  WavRefused,
  type ChannelSelection,
  type DropReason,
  type WavFormat,
} from "./channels.js";
export {
  type OurSideRecord,
  type Received,
  ourSideRecord,
  ourSideRecordName,
  receivedTap,
  recordingTeamMember,
  skipBytes,
  strippedBody,
} from "./our-side.js";
