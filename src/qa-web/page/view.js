// The page's pure part: filters to a query, numbers and times to text, API answers to rows. No DOM, no I/O,
// so it is tested by tables (view.test.ts) and runs the same in Node and in the browser.
/* global URLSearchParams */

/**
 * The filter form's fields, as typed (`GET /api/recordings` filters, docs/recordings-api.md).
 * @typedef {{ q?: string, from?: string, to?: string, participant?: string, serverCallId?: string, outcome?: string,
 *   minDuration?: string, maxDuration?: string, team?: string }} FilterFields
 */

/**
 * One entry of a recording's channel map: a participant and the WAV channel they are on (null: mixed audio).
 * @typedef {{ participantId: string, channel: number | null }} ChannelMapEntry
 */

/**
 * A verification report (`POST /api/recordings/{id}/verify`), as far as the page shows it.
 * @typedef {object} VerificationReport
 * @property {string} [recordingId]
 * @property {boolean} ok
 * @property {string} [verifiedAt]
 * @property {{ ok: boolean, actualSha256?: string | null, problems?: string[],
 *   signature?: ManifestSignature | null }} [manifest]
 * @property {{ index: number, ok: boolean, actual?: { sha256: string, sizeBytes: number } | null,
 *   problems?: string[] }[]} [chunks]
 */

/**
 * A manifest's signature as the API checked it (docs/evidence.md "Signed manifests"): `summary` is the sentence to
 * show ("signed by key K, intact", "unsigned (written before signing)", or what does not match).
 * @typedef {{ status: "intact" | "unsigned" | "invalid" | "unchecked", keyId?: string | null, summary: string }}
 *   ManifestSignature
 */

/**
 * A "Listen to" choice: `channel` null is all speakers.
 * @typedef {{ value: string, channel: number | null, label: string, status: string }} SpeakerChoice
 */

/** Policy outcomes that make a call recorded (docs/recordings-api.md, `outcome`). */
export const OUTCOMES = ["required", "best-effort"];

/** Recordings shown per request; the API may answer fewer (see `needsMore`). */
export const PAGE_SIZE = 50;

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * `YYYY-MM-DD` → the instant that day starts (UTC), or undefined when it is not a real date.
 * @param {string} text
 */
function dayStart(text) {
  const match = DAY.exec(text);
  if (!match) return undefined;
  const instant = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  return instant.toISOString().slice(0, 10) === text ? instant : undefined;
}

/**
 * A non-negative number of seconds typed in a field, "" when empty, or undefined when it is not one.
 * @param {string} text
 * @returns {number | "" | undefined}
 */
function seconds(text) {
  if (text === "") return "";
  const value = Number(text);
  return Number.isFinite(value) && value >= 0 ? value : undefined;
}

/**
 * The filter form's fields (strings, as typed) → the query string of `GET /api/recordings`, or the problems to
 * show. Dates are whole UTC days and both ends are included: the API's `to` excludes, so it gets the next day.
 * @param {FilterFields} fields
 * @param {{ limit?: number, cursor?: string | null }} [page]
 * @returns {{ ok: true, query: string } | { ok: false, problems: string[] }}
 */
export function listQuery(fields, page = {}) {
  /** @param {keyof FilterFields} name */
  const value = (name) => String(fields[name] ?? "").trim();
  /** @type {string[]} */
  const problems = [];
  const params = new URLSearchParams();

  const from = value("from") && dayStart(value("from"));
  const to = value("to") && dayStart(value("to"));
  if (from === undefined) problems.push("From is not a date (YYYY-MM-DD).");
  if (to === undefined) problems.push("To is not a date (YYYY-MM-DD).");
  if (from && to && from > to) problems.push("From is after To.");
  if (from) params.set("from", from.toISOString());
  if (to) params.set("to", new Date(to.getTime() + 86_400_000).toISOString());

  for (const name of /** @type {const} */ (["q", "participant", "serverCallId", "team"]))
    if (value(name)) params.set(name, value(name));

  const outcome = value("outcome");
  if (outcome && !OUTCOMES.includes(outcome)) problems.push(`Outcome must be one of: ${OUTCOMES.join(", ")}.`);
  else if (outcome) params.set("outcome", outcome);

  const min = seconds(value("minDuration"));
  const max = seconds(value("maxDuration"));
  if (min === undefined) problems.push("Shortest must be a number of seconds, 0 or more.");
  if (max === undefined) problems.push("Longest must be a number of seconds, 0 or more.");
  if (typeof min === "number" && typeof max === "number" && min > max)
    problems.push("Shortest is longer than Longest.");
  if (typeof min === "number") params.set("minDurationSeconds", String(min));
  if (typeof max === "number") params.set("maxDurationSeconds", String(max));

  params.set("limit", String(page.limit ?? PAGE_SIZE));
  if (page.cursor) params.set("cursor", page.cursor);
  return problems.length > 0 ? { ok: false, problems } : { ok: true, query: params.toString() };
}

/**
 * Whether to ask for the next page at once: the API may answer a page with fewer items than asked even when
 * more match, so the page keeps following the cursor until it has a screenful or a request budget is spent.
 * @param {number} shown
 * @param {string | null | undefined} nextCursor
 * @param {number} requestsMade
 * @param {{ wanted?: number, budget?: number }} [options]
 */
export function needsMore(shown, nextCursor, requestsMade, { wanted = PAGE_SIZE, budget = 10 } = {}) {
  return Boolean(nextCursor) && shown < wanted && requestsMade < budget;
}

/**
 * 75.4 → "1:15"; 3725 → "1:02:05"; unknown → "—".
 * @param {unknown} totalSeconds
 */
export function formatDuration(totalSeconds) {
  if (typeof totalSeconds !== "number" || !Number.isFinite(totalSeconds) || totalSeconds < 0) return "—";
  const whole = Math.round(totalSeconds);
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const s = String(whole % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

/**
 * Bytes in binary units, e.g. 480044 → "468.8 KiB".
 * @param {unknown} bytes
 */
export function formatBytes(bytes) {
  if (typeof bytes !== "number" || !Number.isFinite(bytes) || bytes < 0) return "—";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/**
 * An ISO instant → "2026-11-23 09:00:05" (UTC, as the filters are); anything else → "—".
 * @param {unknown} iso
 */
export function formatInstant(iso) {
  const instant = typeof iso === "string" ? new Date(iso) : undefined;
  if (!instant || Number.isNaN(instant.getTime())) return "—";
  return instant.toISOString().slice(0, 19).replace("T", " ");
}

/**
 * The first 12 hex digits of a hash, for tables (the full one goes in a title).
 * @param {string | null | undefined} hash
 */
export function shortHash(hash) {
  return typeof hash === "string" && hash.length > 12 ? `${hash.slice(0, 12)}…` : (hash ?? "—");
}

/**
 * The channel map as table rows, by channel: unmixed audio has one participant per channel (channel 0 is the
 * WAV's first); participants without a channel (mixed audio) come last, marked so.
 * @param {readonly ChannelMapEntry[] | undefined} channelMap
 * @returns {{ channel: string, participant: string }[]}
 */
export function channelRows(channelMap) {
  return [...(channelMap ?? [])]
    .sort((a, b) => (a.channel ?? Infinity) - (b.channel ?? Infinity) || a.participantId.localeCompare(b.participantId))
    .map((entry) => ({
      channel: typeof entry.channel === "number" ? String(entry.channel) : "mixed",
      participant: entry.participantId,
    }));
}

/**
 * A verification report (`POST …/verify`) → a one-line summary and one row per checked blob.
 * @param {VerificationReport} report
 */
export function verificationView(report) {
  const chunks = report.chunks ?? [];
  const signature = report.manifest?.signature ?? undefined;
  // A bad signature is one of the manifest's problems; the page shows it on a row of its own.
  const manifestProblems = (report.manifest?.problems ?? []).filter((problem) => !problem.startsWith("signature:"));
  const manifestOk =
    report.manifest?.ok === true ||
    (report.manifest?.ok === false && report.manifest.problems !== undefined && manifestProblems.length === 0);
  const signatureOk = signature?.status !== "invalid";
  const failed =
    chunks.filter((chunk) => !chunk.ok).length + (report.manifest && !manifestOk ? 1 : 0) + (signatureOk ? 0 : 1);
  /** @type {{ item: string, ok: boolean, details: string }[]} */
  const rows = [];
  if (report.manifest)
    rows.push({
      item: "manifest",
      ok: manifestOk,
      details: manifestOk
        ? `SHA-256 ${shortHash(report.manifest.actualSha256)}`
        : manifestProblems.join("; ") || "manifest SHA-256 differs",
    });
  if (signature) rows.push({ item: "signature", ok: signatureOk, details: signature.summary });
  for (const chunk of chunks)
    rows.push({
      item: `chunk ${chunk.index}`,
      ok: chunk.ok,
      details: chunk.ok
        ? `${formatBytes(chunk.actual?.sizeBytes)}, SHA-256 ${shortHash(chunk.actual?.sha256)}`
        : (chunk.problems ?? []).join("; ") || "does not match",
    });
  const when = formatInstant(report.verifiedAt);
  const signed = signature && signatureOk ? ` The manifest is ${signature.summary}.` : "";
  const summary = report.ok
    ? `Verified ${when} UTC: the manifest and all ${chunks.length} chunk(s) match their recorded SHA-256.${signed}`
    : `Verification FAILED ${when} UTC: ${failed} item(s) do not match.`;
  return { ok: Boolean(report.ok), summary, rows };
}

/** The most channels the page splits (a Web Audio `ChannelSplitterNode` has at most 32 outputs; ACS: up to 5). */
export const MAX_CHANNELS = 32;

/**
 * "Listen to" for a recording: all speakers, then each unmixed channel by number with its participant(s).
 * `channels` is how many channels the WAV has as far as the map tells (its highest channel + 1). Nothing to
 * choose (`choices` empty) unless at least two channels are mapped: mixed audio has no one to pick out.
 * @param {readonly ChannelMapEntry[] | undefined} channelMap
 * @returns {{ channels: number, choices: SpeakerChoice[] }}
 */
export function speakerChoices(channelMap) {
  /** @type {Map<number, string[]>} */
  const byChannel = new Map();
  for (const entry of channelMap ?? []) {
    const channel = entry.channel;
    if (channel === null || !Number.isInteger(channel) || channel < 0 || channel >= MAX_CHANNELS) continue;
    byChannel.set(channel, [...(byChannel.get(channel) ?? []), entry.participantId]);
  }
  if (byChannel.size < 2) return { channels: 0, choices: [] };
  const numbers = [...byChannel.keys()].sort((a, b) => a - b);
  return {
    channels: (numbers.at(-1) ?? 0) + 1,
    choices: [
      { value: "all", channel: null, label: "All speakers", status: "Listening to all speakers." },
      ...numbers.map((channel) => ({
        value: String(channel),
        channel,
        label: `${(byChannel.get(channel) ?? []).sort().join(", ")} (channel ${channel})`,
        status: `Listening to channel ${channel} only, in both ears.`,
      })),
    ],
  };
}

/**
 * Rounded so that cos(π/2) is 0, not 6e-17.
 * @param {number} value
 */
const gain = (value) => Math.round(value * 10_000) / 10_000;

/**
 * How loud each channel is in each ear, `[[left, right], …]` by channel, for a choice of `speakerChoices`
 * (its `channel`: a number, or null for all speakers). One speaker: that channel in both ears, every other one
 * silent. All speakers: the player's own stereo mix of two channels (0 left, 1 right); three or more are spread
 * from left to right at equal power, so that none is dropped (Web Audio's own down-mix of 3 or 5 channels to
 * stereo keeps only the first two).
 * @param {number} channels
 * @param {number | null} channel
 * @returns {[number, number][]}
 */
export function channelGains(channels, channel) {
  if (!Number.isInteger(channels) || channels < 1 || channels > MAX_CHANNELS)
    throw new RangeError(`channels must be 1 to ${MAX_CHANNELS}, not ${channels}`);
  if (channel !== null && (!Number.isInteger(channel) || channel < 0 || channel >= channels))
    throw new RangeError(`channel must be null (all) or 0 to ${channels - 1}, not ${channel}`);
  return Array.from({ length: channels }, (_, c) => {
    if (channel !== null) return c === channel ? [1, 1] : [0, 0];
    if (channels === 1) return [1, 1];
    const position = ((c / (channels - 1)) * Math.PI) / 2;
    return [gain(Math.cos(position)), gain(Math.sin(position))];
  });
}

// ---- reconciliation against ACS's own call logs (docs/reconciliation.md "API") ----

/**
 * How the API answers for a call's status (src/reconcile/classify.ts `STATUSES`), in its order.
 * @typedef {"verified" | "exempt" | "enforced" | "incomplete" | "never-seen"} ReconcileStatus
 */

/**
 * One recording of a call as ACS logged it, and what we archived of it; `problem` says what does not match.
 * @typedef {{ recordingId: string, acs: { chunkCount: number, lengthSeconds: number, endReason?: string },
 *   ours?: { chunkCount: number, durationSeconds: number }, problem?: string }} RecordingCheck
 */

/**
 * A call of ACS's logs that is not verified.
 * @typedef {object} ReconciledCall
 * @property {string} correlationId
 * @property {ReconcileStatus} status
 * @property {string[]} teams
 * @property {string} [startedAt]
 * @property {number} [durationSeconds]
 * @property {string[]} [serverCallIds]
 * @property {string} [ruleId]
 * @property {string} detail
 * @property {RecordingCheck[]} [recordings]
 */

/**
 * The last scheduled reconciliation (`GET /api/reconciliation[?team=T]`).
 * @typedef {object} Reconciliation
 * @property {{ from: string, to: string }} window
 * @property {string} finishedAt
 * @property {Partial<Record<ReconcileStatus, number>>} counts
 * @property {Record<string, Partial<Record<ReconcileStatus, number>>>} countsByTeam
 * @property {string[]} problems
 * @property {ReconciledCall[]} calls
 * @property {number} callsLeftOut
 */

/** The statuses in the API's order, with what the page calls them; the last two alert. */
export const RECONCILE_STATUSES = /** @type {const} */ ([
  { status: "verified", label: "verified", alert: false },
  { status: "exempt", label: "exempt by a rule", alert: false },
  { status: "enforced", label: "refused or ended by enforcement", alert: false },
  { status: "incomplete", label: "recording incomplete", alert: true },
  { status: "never-seen", label: "never seen by us", alert: true },
]);

/** What the page says when the API answers 404: no run yet, and what to configure. */
export const NO_RECONCILIATION =
  "No reconciliation has run yet. The scheduled job runs only when RECONCILE_EVERY_SECONDS is set (0, the default, " +
  "turns it off; e.g. 3600 for hourly) and ACS's call logs are archived by a diagnostic setting " +
  "(docs/reconciliation.md). The first run appears here once it has finished.";

/**
 * The query of `GET /api/reconciliation`: a chosen team, or nothing (a team token: its own; an auditor: all).
 * @param {string | undefined} team
 */
export function reconcileQuery(team) {
  const chosen = (team ?? "").trim();
  return chosen ? `team=${encodeURIComponent(chosen)}` : "";
}

/**
 * A recording as ACS logged it and as we archived it, in one line; its problem too unless the call's detail
 * already says it (an incomplete call's detail is its recordings' problems).
 * @param {RecordingCheck} check
 * @param {string} detail
 */
function describeRecording(check, detail) {
  const acs = `ACS: ${check.acs.chunkCount} chunk(s), ${formatDuration(check.acs.lengthSeconds)}`;
  const ours = check.ours
    ? `ours: ${check.ours.chunkCount} chunk(s), ${formatDuration(check.ours.durationSeconds)}`
    : "ours: none";
  return `recording ${check.recordingId}: ${acs}; ${ours}${check.problem && !detail.includes(`${check.recordingId}: ${check.problem}`) ? ` — ${check.problem}` : ""}`;
}

/**
 * A reconciliation answer → what the page shows: when it ran and what window it covers, a count per status
 * (alerting ones marked), one row per call not verified (in the API's order, oldest first), an alert sentence
 * when a call is incomplete or never seen, the problems reading ACS's logs, and the teams to choose from.
 * @param {Reconciliation} answer
 */
export function reconciliationView(answer) {
  const counts = RECONCILE_STATUSES.map(({ status, label, alert }) => {
    const count = answer.counts[status] ?? 0;
    return { status, label, count, alert: alert && count > 0 };
  });
  const alerting = counts.filter((row) => row.alert);
  const rows = answer.calls.map((call) => {
    const known = RECONCILE_STATUSES.find((entry) => entry.status === call.status);
    return {
      correlationId: call.correlationId,
      status: call.status,
      label: known?.label ?? call.status,
      alert: known?.alert ?? true,
      teams: call.teams.join(", "),
      startedAt: call.startedAt ? formatInstant(call.startedAt) : "— (ACS logged no start)",
      duration: formatDuration(call.durationSeconds),
      serverCallIds: (call.serverCallIds ?? []).join(", ") || "—",
      mismatch: [call.detail, ...(call.recordings ?? []).map((check) => describeRecording(check, call.detail))].filter(
        Boolean,
      ),
    };
  });
  const total = counts.reduce((sum, row) => sum + row.count, 0);
  const alert =
    alerting.length === 0
      ? ""
      : `${alerting.reduce((sum, row) => sum + row.count, 0)} call(s) need a person: ${alerting
          .map((row) => `${row.count} ${row.label}`)
          .join(", ")}.`;
  return {
    summary:
      `Run finished ${formatInstant(answer.finishedAt)} UTC, covering calls that started from ` +
      `${formatInstant(answer.window.from)} to ${formatInstant(answer.window.to)} UTC: ${total} call(s) with a team member.`,
    counts,
    alert,
    rows,
    leftOut: answer.callsLeftOut > 0 ? `${answer.callsLeftOut} more call(s) not verified are not listed.` : "",
    problems: answer.problems,
    teams: Object.keys(answer.countsByTeam).sort(),
  };
}

// ---- the reviewer's list and the recording view (issue 19) ----

/**
 * A participant with the name the team's directory has for them (null: not in the directory).
 * @typedef {{ id: string, displayName: string | null, role?: string | null, location?: string | null }} Person
 */

/**
 * A raw id short enough for a table cell, the whole id kept for a title and the copy button:
 * `8:acs:5e1f…9e10_00000001-alice` → `8:acs:…0001-alice`; `4:+447700900123` → `+447700900123`.
 * @param {string} id
 */
export function shortId(id) {
  if (id.startsWith("4:+")) return id.slice(2);
  const kind = /^(\d+:[a-z-]+:)(.*)$/.exec(id);
  if (!kind) return id.length > 24 ? `${id.slice(0, 10)}…${id.slice(-10)}` : id;
  const rest = kind[2] ?? "";
  return rest.length > 14 ? `${kind[1]}…${rest.slice(-12)}` : id;
}

/**
 * How a person is shown: their name (and role) when the directory has one, else their shortened id.
 * @param {Person} person
 * @returns {{ name: string, detail: string, named: boolean }}
 */
export function personLabel(person) {
  if (person.displayName) {
    return { name: person.displayName, detail: person.role ? person.role : "", named: true };
  }
  return { name: shortId(person.id), detail: "not in the directory", named: false };
}

/**
 * The people of a list item (the API's `people`, or its bare `participants` from an older server).
 * @param {{ people?: Person[], participants?: string[] }} item
 * @returns {Person[]}
 */
export function peopleOf(item) {
  if (item.people) return item.people;
  return (item.participants ?? []).map((id) => ({ id, displayName: null }));
}

/** Words for the API's direction (null: not known). @param {unknown} direction */
export function directionText(direction) {
  return direction === "inbound" || direction === "outbound" || direction === "internal" ? direction : "—";
}

/**
 * The integrity badge of a list item: verified at archive, and what the last verification through the API found.
 * @param {{ integrity?: { archive?: string, lastVerification?: { at: string, ok: boolean } | null } }} item
 * @returns {{ label: string, state: "ok" | "failed" | "unknown", title: string }}
 */
export function integrityBadge(item) {
  const last = item.integrity?.lastVerification;
  if (last && !last.ok)
    return {
      label: "FAILED last verify",
      state: "failed",
      title: `verification at ${formatInstant(last.at)} UTC found a mismatch`,
    };
  if (last)
    return { label: "verified", state: "ok", title: `verified at archive; again at ${formatInstant(last.at)} UTC` };
  if (item.integrity?.archive === "verified")
    return {
      label: "verified at archive",
      state: "ok",
      title: "each chunk hashed while archived and read back; not verified since",
    };
  return { label: "—", state: "unknown", title: "the server did not say" };
}

/** The review status the API gives (the reviews feature), or "—". @param {{ reviewStatus?: string | null }} item */
export function reviewText(item) {
  return typeof item.reviewStatus === "string" && item.reviewStatus ? item.reviewStatus : "—";
}

/** @typedef {"startedAt" | "durationSeconds" | "team" | "people"} SortKey */
export const SORT_KEYS = /** @type {const} */ (["startedAt", "durationSeconds", "team", "people"]);

/**
 * The loaded rows in the order asked (stable; ties keep the API's newest-first order).
 * @template {{ startedAt: string, durationSeconds?: number, team: string, people?: Person[], participants?: string[] }} T
 * @param {T[]} items
 * @param {SortKey} key
 * @param {"ascending" | "descending"} direction
 * @returns {T[]}
 */
export function sortItems(items, key, direction) {
  /** @param {T} item @returns {string | number} */
  const value = (item) => {
    if (key === "startedAt") return Date.parse(item.startedAt);
    if (key === "durationSeconds") return item.durationSeconds ?? -1;
    if (key === "team") return item.team;
    return peopleOf(item)
      .map((p) => personLabel(p).name.toLowerCase())
      .sort()
      .join(", ");
  };
  const sign = direction === "ascending" ? 1 : -1;
  return items
    .map((item, i) => ({ item, i, v: value(item) }))
    .sort((a, b) => (a.v < b.v ? -sign : a.v > b.v ? sign : a.i - b.i))
    .map(({ item }) => item);
}

/**
 * Where an offset in a recording's audio is: which chunk, and how far into it (seconds); chunks play one after
 * the other. Past the end: the end of the last chunk.
 * @param {number} audioMs
 * @param {{ index: number, durationMs?: number | null }[]} chunks
 * @returns {{ index: number, seconds: number } | undefined}
 */
export function seekTarget(audioMs, chunks) {
  let start = 0;
  for (const [i, chunk] of chunks.entries()) {
    const length = chunk.durationMs ?? 0;
    if (audioMs < start + length || i === chunks.length - 1)
      return { index: chunk.index, seconds: Math.max(0, Math.min(audioMs - start, length)) / 1000 };
    start += length;
  }
  return undefined;
}

/**
 * One timeline event (`GET /api/recordings/{id}/timeline`).
 * @typedef {{ kind: string, at: string | null, audioMs: number | null, who?: string, reason?: string, text: string }}
 *   TimelineEvent
 */

/**
 * Timeline events → rows to show: when (UTC time), where in the audio, what, who (a participant by name), why.
 * @param {TimelineEvent[]} events
 * @param {Person[]} people
 */
export function timelineRows(events, people) {
  const byId = new Map(people.map((p) => [p.id, p]));
  return events.map((event) => {
    const person = event.who === undefined ? undefined : byId.get(event.who);
    const who = event.who === undefined ? "" : person ? personLabel(person).name : shortId(event.who);
    return {
      kind: event.kind,
      when: event.at ? formatInstant(event.at).slice(11) : "—",
      audio: event.audioMs === null ? "—" : formatDuration(event.audioMs / 1000),
      audioMs: event.audioMs,
      what: event.text,
      who,
      why: event.reason ?? "",
      pause: event.kind === "paused",
    };
  });
}

/**
 * A channel's peaks reduced to `bars` bars (the loudest peak in each), for a canvas of that many bars.
 * @param {number[]} peaks
 * @param {number} bars
 */
export function barHeights(peaks, bars) {
  if (peaks.length === 0 || bars <= 0) return [];
  const out = [];
  for (let b = 0; b < bars; b++) {
    const from = Math.floor((b * peaks.length) / bars);
    const to = Math.max(from + 1, Math.floor(((b + 1) * peaks.length) / bars));
    let loudest = 0;
    for (let i = from; i < to && i < peaks.length; i++) loudest = Math.max(loudest, peaks[i] ?? 0);
    out.push(loudest);
  }
  return out;
}

/**
 * Who is on each waveform: channel n's participants by name for unmixed audio, "All speakers" for mixed.
 * @param {number} channels
 * @param {ChannelMapEntry[] | undefined} channelMap
 * @param {Person[]} people
 */
export function waveformLabels(channels, channelMap, people) {
  const byId = new Map(people.map((p) => [p.id, p]));
  return Array.from({ length: channels }, (_, channel) => {
    const on = (channelMap ?? []).filter((entry) => entry.channel === channel);
    if (on.length === 0) return channels === 1 ? "All speakers" : `Channel ${channel}`;
    return on
      .map((entry) => {
        const person = byId.get(entry.participantId);
        return person ? personLabel(person).name : shortId(entry.participantId);
      })
      .join(", ");
  });
}
