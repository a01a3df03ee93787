export {
  correlate,
  recordingKeyOf,
  DOCUMENT_KEY_PREFIX,
  type CallClues,
  type Correlation,
  type CorrelationVia,
} from "./resolve.js";
export { createCorrelationIndex, CORRELATION_TTL_SECONDS, type CorrelationIndex } from "./store.js";
