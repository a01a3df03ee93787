export { isGap, outcomeOfDecision, type LedgerAction, type LedgerEntry, type LedgerOutcome } from "./outcome.js";
export { createLedger, type Ledger } from "./store.js";
