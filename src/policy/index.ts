export { CallsFileError, parseCallsJsonl, type RecordedCall } from "./calls-file.js";
export {
  consentContext,
  consentReferenceProblems,
  decideConsent,
  directoryLocationsFor,
  recordingRulesOf,
  type CallConsent,
  type ConsentEnvironment,
  type DirectoryLookup,
} from "./consent.js";
export {
  describeConsent,
  describeDecision,
  differences,
  replayCalls,
  type DecisionChange,
  type ReplayResult,
} from "./diff.js";
export { decide, evaluateTeams, isMember } from "./evaluate.js";
export { explainCall } from "./explain.js";
export { contentHash, policySetHash } from "./hash.js";
export { participantFromInput, rawIdFromInput } from "./identity.js";
export { lintPolicies, type LintWarning } from "./lint.js";
export {
  loadPolicies,
  loadPolicySet,
  parsePolicyFile,
  parsePolicySet,
  PolicyError,
  readJurisdictions,
  readPolicyFiles,
} from "./load.js";
export { sampleBucket } from "./sampling.js";
export {
  createPolicySource,
  POLICY_REFUSED_MESSAGE,
  POLICY_RELOADED_MESSAGE,
  policyReadiness,
  type PolicySnapshot,
  type PolicySource,
  type PolicySourceOptions,
  type PolicyStatus,
  type ReloadOutcome,
} from "./source.js";
export { isInstant } from "./time.js";
export type * from "./types.js";
