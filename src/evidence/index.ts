export { canonicalBytes, canonicalJson, canonicalSha256 } from "./canonical.js";
export { type ChainLog, chainKey, chainLogs, createChainLog } from "./chain-log.js";
export {
  CHAINS,
  type ChainHead,
  type ChainLink,
  type ChainName,
  type ChainProblem,
  type ChainVerification,
  describeVerification,
  isChainName,
  linkEntry,
} from "./chain.js";
export {
  type Checkpoint,
  buildCheckpoint,
  checkpointBlobName,
  checkpointProblem,
  checkpointSchema,
} from "./checkpoint.js";
export {
  type CheckpointOutcome,
  type CheckpointStores,
  checkpointChains,
  latestCheckpoint,
  verifyEvidenceChain,
  writeCheckpoint,
} from "./evidence-store.js";
export {
  DEVELOPMENT_KEY_FILE,
  EvidenceKeyError,
  type EvidenceSigner,
  type EvidenceVerifier,
  SIGNATURE_ALGORITHM,
  generatePrivateKeyPem,
  keyIdOf,
  loadEvidenceSigner,
  loadEvidenceVerifier,
  signerFromPrivateKeyPem,
  verifierFromPublicKeyPem,
  verifierOf,
} from "./keys.js";
