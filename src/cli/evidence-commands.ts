import { readFile } from "node:fs/promises";
import type { ContainerClient } from "@azure/storage-blob";
import type { RetentionPort } from "../archive/index.js";
import { CHAINS, describeVerification, isChainName, type ChainName } from "../evidence/index.js";
import type { ChainLog } from "../evidence/index.js";
import { verifyEvidenceChain, writeCheckpoint } from "../evidence/index.js";
import { verifierFromPublicKeyPem, type EvidenceSigner, type EvidenceVerifier } from "../evidence/index.js";
import type { Output } from "./policy-commands.js";

// `recorder ledger checkpoint | verify` and `recorder evidence public-key` (docs/evidence.md).

type Logs = Partial<Record<ChainName, ChainLog>>;

function chainsOf(option: string | undefined, io: Output): ChainName[] | undefined {
  if (option === undefined) return [...CHAINS];
  if (isChainName(option)) return [option];
  io.err(`--chain takes ${CHAINS.join(" or ")}, not ${option}`);
  return undefined;
}

/** Writes a signed checkpoint of each chain's head (exit 0; 1 when a chain is broken and was not signed; 2 on a bad option). */
export async function checkpointCommand(
  stores: {
    container: ContainerClient;
    retention: RetentionPort;
    signer: EvidenceSigner;
    retentionDays: number;
    logs: Logs;
  },
  options: { chain?: string },
  io: Output,
): Promise<number> {
  const chains = chainsOf(options.chain, io);
  if (!chains) return 2;
  let broken = false;
  for (const chain of chains) {
    const log = stores.logs[chain];
    if (!log) throw new Error(`no ${chain} chain to checkpoint`);
    const outcome = await writeCheckpoint(stores, chain, log);
    if (!outcome.written && outcome.reason === "chain broken") {
      broken = true;
      io.err(`${chain}: NOT signed, the chain is broken at seq ${outcome.problem.seq}: ${outcome.problem.message}`);
    } else if (outcome.written)
      io.out(
        `${chain}: checkpoint of seq ${outcome.checkpoint.seq} written to ${outcome.blob} (key ${outcome.checkpoint.keyId})`,
      );
    else if (outcome.reason === "empty") io.out(`${chain}: the chain is empty, nothing to checkpoint`);
    else
      io.out(
        `${chain}: already covered by the checkpoint of seq ${outcome.checkpoint?.seq ?? "?"} (${outcome.blob ?? "?"})`,
      );
  }
  return broken ? 1 : 0;
}

/** Walks each chain against its newest checkpoint: exit 0 when nothing is wrong, 1 when tampering is found. */
export async function verifyCommand(
  sources: { container: ContainerClient; verifier: EvidenceVerifier; logs: Logs; auditArchive?: ContainerClient },
  options: { chain?: string; source?: string; json?: boolean },
  io: Output,
): Promise<number> {
  const chains = chainsOf(options.chain, io);
  const source = options.source ?? "auto";
  if (!chains) return 2;
  if (source !== "auto" && source !== "redis" && source !== "blob") {
    io.err("--source takes auto, redis or blob");
    return 2;
  }
  let failed = false;
  for (const chain of chains) {
    const log = sources.logs[chain];
    if (!log) throw new Error(`no ${chain} chain to verify`);
    const result = await verifyEvidenceChain({ ...sources, log }, chain, source);
    failed ||= !result.ok;
    if (options.json) io.out(JSON.stringify(result));
    else for (const line of describeVerification(result)) io.out(line);
  }
  return failed ? 1 : 0;
}

/** The trusted public key: a file given (`--public-key`), else the configured signer's. */
export async function trustedVerifier(publicKeyFile: string | undefined, signer: () => EvidenceSigner) {
  const pem = publicKeyFile ? await readFile(publicKeyFile, "utf8") : signer().publicKeyPem;
  return verifierFromPublicKeyPem(pem, publicKeyFile ?? "the configured key");
}

export function publicKeyCommand(signer: EvidenceSigner, io: Output): number {
  io.out(`# key id ${signer.keyId} (SHA-256 of the DER public key; docs/evidence.md)`);
  io.out(signer.publicKeyPem.trimEnd());
  return 0;
}
