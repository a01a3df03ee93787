export {
  isGap,
  isQuarantineGap,
  outcomeOfDecision,
  type ConsentRecord,
  type LedgerAction,
  type LedgerEntry,
  type LedgerOutcome,
  type LedgerRecording,
  type LedgerStop,
  type QuarantineEntry,
} from "./outcome.js";
export { createLedger, type Ledger } from "./store.js";
