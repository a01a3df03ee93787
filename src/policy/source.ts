import { watch, type FSWatcher } from "node:fs";
import type { Logger } from "../log.js";
import type { JurisdictionData } from "../consent/index.js";
import { contentHash, policySetHash } from "./hash.js";
import { parsePolicySet, PolicyError, readJurisdictions, readPolicyFiles, type PolicyFileText } from "./load.js";
import type { TeamPolicy } from "./types.js";

/** The policies in force: replaced whole, never edited, so a decision always sees one consistent set. */
export interface PolicySnapshot {
  policies: readonly TeamPolicy[];
  /** policySetHash of the set */
  hash: string;
  loadedAt: string;
  /**
   * The directory's jurisdiction data (`jurisdictions.*.yaml`, docs/consent.md), loaded and replaced with the policies;
   * null when it has none (then no rule may have a consent block).
   */
  jurisdictions: JurisdictionData | null;
}

export type ReloadOutcome =
  | { result: "success"; hash: string }
  /** The files changed but their policies are the ones in force (e.g. a broken edit was reverted). */
  | { result: "unchanged"; hash: string }
  | { result: "failure"; problems: string[] };

export interface PolicyStatus {
  hash: string;
  loadedAt: string;
  files: { file: string; team: string; hash: string }[];
  /** Problems of the files on disk when they are invalid (the previous policies stay in force). */
  reloadError?: string[];
}

export interface PolicySource {
  current(): readonly TeamPolicy[];
  snapshot(): PolicySnapshot;
  hash(): string;
  status(): PolicyStatus;
  /**
   * A set this process loaded earlier, by its hash (the last 16 are kept): lets a call in progress keep being
   * decided by the set its first decision cited, so a change applies to new calls only. Undefined when unknown.
   */
  policiesFor(hash: string): readonly TeamPolicy[] | undefined;
  /** Re-reads the directory now (also what the watcher and the periodic re-check call). */
  reload(): Promise<ReloadOutcome>;
  close(): void;
}

export interface PolicySourceOptions {
  /** Called after each attempt that found the files changed: wire metrics here. */
  onReload?: (outcome: ReloadOutcome) => void;
  /** Editors write a file in several steps: wait this long after the last change. */
  debounceMs?: number;
  /** fs.watch misses changes on some file systems (network mounts, ConfigMap symlink swaps): re-check this often. */
  recheckMs?: number;
}

/** What a process logs when it refuses a policy change (scripts/start.ts shows it in the terminal of `npm start`). */
export const POLICY_REFUSED_MESSAGE = "policy change refused: the previous policies stay in force";
/** What it logs when a change on disk was read and its policies are in force. */
export const POLICY_RELOADED_MESSAGE = "policies reloaded: new calls use them";

/**
 * The policies' part of readiness: degraded while the files on disk are refused, naming the file and the
 * problem (at most five; `info.policies.reloadError` has them all). Degraded, not unready: the previous set
 * stays in force and decisions go on, while taking every replica out of service over one bad edit would stop
 * intake too.
 */
export function policyReadiness(status: PolicyStatus): { degraded: string } | undefined {
  const problems = status.reloadError;
  if (!problems || problems.length === 0) return undefined;
  const shown = problems.slice(0, 5).join("; ");
  const more = problems.length > 5 ? ` (and ${problems.length - 5} more)` : "";
  return {
    degraded: `policy change refused: ${shown}${more}; the previous policies (${status.hash.slice(0, 12)}) stay in force`,
  };
}

const fingerprint = (files: readonly PolicyFileText[], jurisdictions: Read) =>
  contentHash(
    files.map((f) => `${f.name}\0${f.text}\0`).join("") +
      `jurisdictions\0${jurisdictions.data?.hash ?? ""}\0${jurisdictions.problems.join("\n")}`,
  );

type Read = Awaited<ReturnType<typeof readJurisdictions>>;

/** The team files and the jurisdiction data, parsed and checked together. */
function parseAll(dir: string, files: readonly PolicyFileText[], read: Read) {
  const parsed = parsePolicySet(dir, files, read.problems.length > 0 ? undefined : read.data);
  return { policies: parsed.policies, problems: [...parsed.problems, ...read.problems] };
}

const snapshotOf = (policies: readonly TeamPolicy[], jurisdictions: JurisdictionData | null): PolicySnapshot => ({
  policies,
  hash: policySetHash(policies),
  jurisdictions,
  loadedAt: new Date().toISOString(),
});

/**
 * Loads a policy directory and keeps it current. The first load must succeed (PolicyError otherwise, so a
 * process never starts without policies). Later changes are validated whole and swapped in atomically for
 * decisions made from then on; an invalid change is logged and refused, and the previous policies stay.
 */
export async function createPolicySource(
  dir: string,
  logger: Logger,
  options: PolicySourceOptions = {},
): Promise<PolicySource> {
  const { debounceMs = 250, recheckMs = 30_000, onReload } = options;
  const files = await readPolicyFiles(dir);
  const firstJurisdictions = await readJurisdictions(dir);
  const first = parseAll(dir, files, firstJurisdictions);
  if (first.problems.length > 0) throw new PolicyError(first.problems);
  let snapshot = snapshotOf(first.policies, firstJurisdictions.data);
  const history = new Map<string, readonly TeamPolicy[]>([[snapshot.hash, snapshot.policies]]);
  const remember = (next: PolicySnapshot) => {
    history.delete(next.hash);
    history.set(next.hash, next.policies);
    if (history.size > 16) history.delete(history.keys().next().value ?? "");
  };
  let seen = fingerprint(files, firstJurisdictions);
  let reloadError: string[] | undefined;
  let closed = false;
  logger.info(
    { dir, hash: snapshot.hash, teams: first.policies.map((p) => ({ team: p.team.id, file: p.file, hash: p.hash })) },
    "policies loaded",
  );

  const attempt = async (): Promise<ReloadOutcome> => {
    let outcome: ReloadOutcome;
    try {
      const latest = await readPolicyFiles(dir);
      const jurisdictions = await readJurisdictions(dir);
      const print = fingerprint(latest, jurisdictions);
      if (print === seen || closed) return { result: "unchanged", hash: snapshot.hash };
      seen = print;
      const { policies, problems } = parseAll(dir, latest, jurisdictions);
      outcome =
        problems.length > 0 ? { result: "failure", problems } : { result: "success", hash: policySetHash(policies) };
      if (outcome.result === "success") {
        const sameData = (jurisdictions.data?.hash ?? null) === (snapshot.jurisdictions?.hash ?? null);
        if (outcome.hash === snapshot.hash && sameData) outcome = { result: "unchanged", hash: snapshot.hash };
        else {
          snapshot = snapshotOf(policies, jurisdictions.data);
          remember(snapshot);
        }
      }
    } catch (error) {
      // An unreadable directory is a failed reload too: keep what we have and try again later.
      seen = "";
      outcome = { result: "failure", problems: [`${dir}: ${(error as Error).message}`] };
    }
    if (outcome.result === "failure") {
      reloadError = outcome.problems;
      logger.error({ dir, problems: outcome.problems, keptHash: snapshot.hash }, POLICY_REFUSED_MESSAGE);
    } else {
      reloadError = undefined;
      const teams = snapshot.policies.map((p) => ({ team: p.team.id, file: p.file, hash: p.hash }));
      logger.info({ dir, hash: snapshot.hash, teams, result: outcome.result }, POLICY_RELOADED_MESSAGE);
    }
    onReload?.(outcome);
    return outcome;
  };

  // One reload at a time, in order: a change seen during a reload is read by the next one.
  let chain: Promise<unknown> = Promise.resolve();
  const reload = () => {
    const next = chain.then(attempt);
    chain = next.catch(() => undefined);
    return next;
  };

  let debounce: NodeJS.Timeout | undefined;
  const schedule = () => {
    if (closed) return;
    clearTimeout(debounce);
    debounce = setTimeout(() => void reload(), debounceMs);
    debounce.unref();
  };
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dir, { persistent: false }, schedule);
    watcher.on("error", (error) =>
      logger.warn({ dir, err: error }, "policy directory watch failed; relying on the periodic re-check"),
    );
  } catch (error) {
    logger.warn({ dir, err: error }, "cannot watch the policy directory; relying on the periodic re-check");
  }
  const recheck = setInterval(() => void reload(), recheckMs);
  recheck.unref();

  return {
    current: () => snapshot.policies,
    snapshot: () => snapshot,
    hash: () => snapshot.hash,
    status: () => ({
      hash: snapshot.hash,
      loadedAt: snapshot.loadedAt,
      files: snapshot.policies.map((p) => ({ file: p.file, team: p.team.id, hash: p.hash })),
      ...(reloadError ? { reloadError } : {}),
    }),
    policiesFor: (hash) => history.get(hash),
    reload,
    close() {
      closed = true;
      clearTimeout(debounce);
      clearInterval(recheck);
      watcher?.close();
    },
  };
}
