/**
 * Hash chains of the ledger and the audit trail (pure; docs/evidence.md "Chains"). Every entry carries its
 * sequence number (`seq`, 1, 2, 3, … per chain) and `prev`, the SHA-256 of the canonical form (canonical.ts)
 * of the entry before it (64 zeros before seq 1). An entry's hash is that of its own canonical form, `seq`
 * and `prev` included, so changing, removing, inserting or reordering any entry breaks a link after it; a
 * signed checkpoint of the head (checkpoint.ts) makes the links up to it unforgeable without the key.
 *
 * `ChainWalker` checks entries one at a time in chain order (so a long log is walked in bounded memory) and
 * stops at the first bad one, naming its sequence number and what is wrong.
 */
import { canonicalSha256 } from "./canonical.js";
import { checkpointProblem, type Checkpoint } from "./checkpoint.js";
import type { EvidenceVerifier } from "./keys.js";

export const CHAINS = ["ledger", "audit"] as const;
export type ChainName = (typeof CHAINS)[number];
export const isChainName = (name: string): name is ChainName => (CHAINS as readonly string[]).includes(name);

/** `prev` of seq 1. */
export const GENESIS = "0".repeat(64);

export interface ChainLink {
  seq: number;
  prev: string;
}

export interface ChainHead {
  seq: number;
  hash: string;
}

/** The hash a chained entry is known by: SHA-256 of its canonical form. */
export const entryHash = (entry: object) => canonicalSha256(entry);

/** The body joined to the chain after `head` (undefined: the chain is empty). */
export function linkEntry<T extends object>(body: T, head: ChainHead | undefined): T & ChainLink {
  if ("seq" in body || "prev" in body) throw new TypeError("a chain entry's body must not carry seq or prev");
  return { ...body, seq: (head?.seq ?? 0) + 1, prev: head?.hash ?? GENESIS };
}

export interface ChainProblem {
  /** The first bad entry's sequence number (for a checkpoint's problem, the seq the checkpoint covers). */
  seq: number;
  message: string;
}

export interface ChainVerification {
  chain: ChainName;
  /** No problem found. Proven only up to `verifiedThrough`; the rest is `notYetCovered`. */
  ok: boolean;
  /** Where the entries were read: Redis, or the durable Blob copy (audit). */
  source: string;
  /** Chained entries read. */
  entries: number;
  /** Entries written before the chain existed (no seq), ahead of seq 1: not covered by anything. */
  unchained: number;
  checkpoint: { seq: number; hash: string; at: string; keyId: string } | null;
  /** Entries 1…verifiedThrough are proven unaltered by the checkpoint (0 when nothing is). */
  verifiedThrough: number;
  /** Entries after the last checkpoint: linked, but not yet covered by a signed checkpoint. */
  notYetCovered: { from: number; to: number; count: number } | null;
  problem: ChainProblem | null;
}

const short = (hash: string) => `${hash.slice(0, 12)}…`;

const seqOf = (entry: Record<string, unknown>) =>
  typeof entry.seq === "number" && Number.isSafeInteger(entry.seq) ? entry.seq : undefined;

/**
 * Walks one chain in stored order. Give it the last checkpoint (if any) and the trusted key; `push` every entry
 * oldest first, then `finish`.
 */
export class ChainWalker {
  private expected = 1;
  private prevHash = GENESIS;
  private count = 0;
  private unchained = 0;
  private problem: ChainProblem | null = null;

  /**
   * `after`: walk only the entries after this head (already proven, e.g. by the previous checkpoint): the
   * first must be seq after.seq + 1 and link to after.hash.
   */
  constructor(
    private readonly chain: ChainName,
    private readonly checkpoint: Checkpoint | undefined,
    verifier: EvidenceVerifier,
    private readonly source: string,
    after?: ChainHead,
  ) {
    if (after) {
      this.expected = after.seq + 1;
      this.prevHash = after.hash;
    }
    if (checkpoint) {
      const wrong = checkpointProblem(checkpoint, verifier, chain);
      if (wrong) this.problem = { seq: checkpoint.seq, message: wrong };
    }
  }

  /** False once a problem is found (the rest need not be read). */
  get going(): boolean {
    return this.problem === null;
  }

  push(raw: unknown): boolean {
    if (this.problem) return false;
    const entry = (typeof raw === "object" && raw !== null ? raw : {}) as Record<string, unknown>;
    const seq = seqOf(entry);
    const after = this.expected - 1;
    const where = (n: number) => (this.checkpoint && n > this.checkpoint.seq ? " (after the last checkpoint)" : "");
    if (seq === undefined) {
      // Entries from before the chain existed precede seq 1; one anywhere later was put there.
      if (this.expected === 1 && entry.seq === undefined && entry.prev === undefined) {
        this.unchained++;
        return true;
      }
      return this.fail(this.expected, `an entry without a valid sequence number follows seq ${after}: inserted`);
    }
    if (seq !== this.expected) {
      if (seq > this.expected)
        return this.fail(
          this.expected,
          `seq ${this.expected} is missing${where(this.expected)}: ${after > 0 ? `seq ${after}` : "the start of the chain"} is followed by seq ${seq} (removed, or reordered)`,
        );
      return this.fail(
        this.expected,
        `seq ${seq} appears again where seq ${this.expected} should be${where(this.expected)}: inserted, duplicated or reordered`,
      );
    }
    if (entry.prev !== this.prevHash)
      return this.fail(
        after > 0 ? after : 1,
        after > 0
          ? `seq ${after} was altered${where(after)}, or the entry at seq ${seq} is not the one written there (removed, inserted or renumbered): seq ${after} hashes to ${short(this.prevHash)}, seq ${seq} records ${typeof entry.prev === "string" ? short(entry.prev) : "no hash"} as its predecessor`
          : `seq 1 does not start the chain: its prev is not ${short(GENESIS)}`,
      );
    let hash: string;
    try {
      hash = entryHash(entry);
    } catch (error) {
      return this.fail(seq, `seq ${seq} is not JSON that can be hashed: ${(error as Error).message}`);
    }
    if (this.checkpoint && seq === this.checkpoint.seq && hash !== this.checkpoint.hash)
      return this.fail(
        seq,
        `seq ${seq} was altered: it hashes to ${short(hash)}, but the signed checkpoint of ${this.checkpoint.at} records ${short(this.checkpoint.hash)}`,
      );
    this.prevHash = hash;
    this.expected++;
    this.count++;
    return true;
  }

  finish(): ChainVerification {
    const last = this.expected - 1;
    const checkpoint = this.checkpoint;
    if (!this.problem && checkpoint && checkpoint.seq > last)
      this.fail(
        last + 1,
        `seq ${last + 1}${checkpoint.seq > last + 1 ? `…${checkpoint.seq}` : ""} ${checkpoint.seq > last + 1 ? "are" : "is"} missing: the chain ends at seq ${last}, the signed checkpoint of ${checkpoint.at} covers up to seq ${checkpoint.seq}`,
      );
    const covered = checkpoint && !this.problem ? checkpoint.seq : 0;
    const uncovered = this.problem ? 0 : last - covered;
    return {
      chain: this.chain,
      ok: this.problem === null,
      source: this.source,
      entries: this.count,
      unchained: this.unchained,
      checkpoint: checkpoint
        ? { seq: checkpoint.seq, hash: checkpoint.hash, at: checkpoint.at, keyId: checkpoint.keyId }
        : null,
      verifiedThrough: covered,
      notYetCovered: uncovered > 0 ? { from: covered + 1, to: last, count: uncovered } : null,
      problem: this.problem,
    };
  }

  private fail(seq: number, message: string): false {
    this.problem ??= { seq, message };
    return false;
  }
}

/** A chain walked from a finite list, in the order given. */
export function verifyChain(
  chain: ChainName,
  entries: Iterable<unknown>,
  checkpoint: Checkpoint | undefined,
  verifier: EvidenceVerifier,
  source = "entries",
): ChainVerification {
  const walker = new ChainWalker(chain, checkpoint, verifier, source);
  for (const entry of entries) if (!walker.push(entry)) break;
  return walker.finish();
}

/**
 * Entries of a copy that does not keep chain order (the Blob audit archive: concurrent appends land in any
 * order) put in seq order; an entry stored twice with the same content (an append retried) counts once, two
 * different entries under one seq are both kept and the walk reports the second.
 */
export function inSeqOrder(entries: readonly unknown[]): unknown[] {
  const keyed = entries.map((entry, index) => {
    const record = (typeof entry === "object" && entry !== null ? entry : {}) as Record<string, unknown>;
    return { entry, index, seq: seqOf(record) };
  });
  keyed.sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0) || a.index - b.index);
  const out: unknown[] = [];
  let previous: { seq: number | undefined; hash: string } | undefined;
  for (const { entry, seq } of keyed) {
    const hash = entryHash(entry as object);
    if (seq !== undefined && previous?.seq === seq && previous.hash === hash) continue;
    previous = { seq, hash };
    out.push(entry);
  }
  return out;
}

/** One line per outcome, for the CLI. */
export function describeVerification(result: ChainVerification): string[] {
  const lines: string[] = [];
  const cp = result.checkpoint;
  lines.push(`${result.chain} chain (read from ${result.source}): ${result.entries} chained entries`);
  if (result.unchained > 0)
    lines.push(`${result.unchained} entries written before the chain existed: not covered by anything`);
  if (result.problem) {
    lines.push(`TAMPERED at seq ${result.problem.seq}: ${result.problem.message}`);
    return lines;
  }
  if (cp)
    lines.push(
      `verified: seq 1…${result.verifiedThrough} unaltered, nothing removed, inserted or reordered; checkpoint of ${cp.at} signed by key ${cp.keyId}, signature valid`,
    );
  else lines.push("no checkpoint yet: nothing is proven (run `recorder ledger checkpoint`)");
  if (result.notYetCovered)
    lines.push(
      `seq ${result.notYetCovered.from}…${result.notYetCovered.to} (${result.notYetCovered.count}) not yet covered by a checkpoint: linked, not proven`,
    );
  return lines;
}
