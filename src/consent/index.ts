export { judgeAnswer, keyOfTone, normalizePhrase, type AnswerVerdict, type ConsentAnswer } from "./answer.js";
export {
  compareDecisions,
  compareStrictness,
  consentDecision,
  entryFor,
  FALLBACK_RANK,
  messageFor,
  undefinedSets,
} from "./decide.js";
export { countryOf, entryCovers, jurisdictionOfParty, normalizeLocation, setCovers } from "./jurisdiction.js";
export {
  AREA_CODES_FILE,
  issueMessage,
  JURISDICTION_FILE,
  JurisdictionDataError,
  loadJurisdictionData,
  parseAreaCodes,
  parseJurisdictionData,
  parseJurisdictionSets,
  SETS_FILE,
  type JurisdictionData,
} from "./load.js";
export { consentPolicyOf, consentRuleProblems, type ConsentRuleShape } from "./policy.js";
export {
  consentBlockSchema,
  DEFAULT_CONSENT_TIMEOUT_SECONDS,
  locationSchema,
  MAX_DTMF_TIMEOUT_SECONDS,
  MAX_SPEECH_TIMEOUT_SECONDS,
  type ConsentBlockFile,
} from "./schema.js";
export * from "./types.js";
