// The QA page's shell: sign-in, filters, list, one recording (facts, participants, channel map, chunks,
// player with listening per speaker, verification), and the last reconciliation against ACS's call logs. Everything shown comes from the API and is written as text
// (textContent), never as HTML. The token is kept in sessionStorage only: it dies with the tab and is never put
// in a URL.
/* global document, navigator, sessionStorage, CustomEvent, FormData, setTimeout, AbortController, DOMException, HTMLAudioElement, HTMLButtonElement, HTMLFormElement, HTMLInputElement, HTMLSelectElement, getComputedStyle */
import { ApiError, createApi } from "./api.js";
import { byId, complain, el, say } from "./dom.js";
import { createSpeakerRouting } from "./listen.js";
import {
  OUTCOMES,
  channelGains,
  channelRows,
  formatBytes,
  formatDuration,
  formatInstant,
  listQuery,
  needsMore,
  NO_RECONCILIATION,
  reconcileQuery,
  reconciliationView,
  shortHash,
  speakerChoices,
  verificationView,
  barHeights,
  directionText,
  integrityBadge,
  peopleOf,
  personLabel,
  reviewText,
  seekTarget,
  shortId,
  sortItems,
  timelineRows,
  waveformLabels,
} from "./view.js";

/** @typedef {import("./api.js").RecordingItem} RecordingItem */
/** @typedef {import("./api.js").RecordingDetail} RecordingDetail */
/** @typedef {import("./view.js").ChannelMapEntry} ChannelMapEntry */
/** @typedef {import("./view.js").FilterFields} FilterFields */
/** @typedef {import("./view.js").SpeakerChoice} SpeakerChoice */
/** @typedef {import("./view.js").Person} Person */
/** @typedef {import("./view.js").SortKey} SortKey */

const TOKEN_KEY = "compliance-recorder.qa.token";
/** Ask for a fresh stream ticket this long before the current one expires (ms). */
const TICKET_MARGIN_MS = 5_000;

const player = byId("player", HTMLAudioElement);
const api = createApi(() => sessionStorage.getItem(TOKEN_KEY) ?? "");
const routing = createSpeakerRouting(player);

/**
 * @type {{
 *   fields: FilterFields,
 *   cursor: string | null,
 *   shown: number,
 *   generation: number,
 *   recording: RecordingDetail | undefined,
 *   playing: { index: number, expiresAt: number, renewal: boolean } | undefined,
 *   listening: { channels: number, choices: SpeakerChoice[] },
 *   returnFocus: HTMLElement | undefined,
 *   items: RecordingItem[],
 *   sort: { key: SortKey, direction: "ascending" | "descending" },
 *   listAbort: AbortController | undefined,
 *   peaks: Map<string, Promise<{ channels: number, durationMs: number, peaks: number[][] } | undefined>>,
 * }}
 */
const state = {
  fields: {},
  cursor: null,
  shown: 0,
  /** Increased by every new list or detail request, so that a slow, superseded answer is dropped. */
  generation: 0,
  recording: undefined,
  playing: undefined,
  /** The opened recording's "Listen to" choices (view.js `speakerChoices`). */
  listening: { channels: 0, choices: [] },
  returnFocus: undefined,
  /** The rows loaded so far, in the API's order (newest first); shown in `sort`'s order. */
  items: [],
  sort: { key: "startedAt", direction: "descending" },
  /** The list request in flight: aborted when a newer search replaces it, so no stale page is ever shown. */
  listAbort: undefined,
  /** Waveform peaks by `<recordingId>/<chunk>` (undefined: the chunk has none). */
  peaks: new Map(),
};

/** @param {"sign-in" | "browse" | "detail" | "reconciliation" | "queue" | "reports"} view */
function show(view) {
  for (const name of ["sign-in", "browse", "detail", "reconciliation"]) byId(name).hidden = name !== view;
  byId("session").hidden = view === "sign-in";
  byId("views").hidden = view === "sign-in";
  // The tabs: a recording opened from the list belongs to "Recordings"; reviews.js marks its own tabs.
  for (const [id, current] of /** @type {const} */ ([
    ["show-recordings", view === "browse" || view === "detail"],
    ["show-reconciliation", view === "reconciliation"],
  ])) {
    if (current) byId(id).setAttribute("aria-current", "page");
    else byId(id).removeAttribute("aria-current");
  }
  // reviews.js shows its own views ("queue", "reports") and the review form of an opened recording.
  document.dispatchEvent(new CustomEvent("qa:view", { detail: view }));
}

/**
 * Runs a user action; a refused token signs out, any other failure is shown (the page stays usable). While it
 * runs, `<main aria-busy="true">` tells assistive technology (and the browser test) that content is changing.
 * @param {() => Promise<void>} action
 */
async function guarded(action) {
  complain("");
  busy(+1);
  try {
    await action();
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) signOut("The server refused the token. Sign in again.");
    else if (error instanceof ApiError) complain(`The server refused: ${error.message} (HTTP ${error.status}).`);
    else complain(`Something went wrong: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    busy(-1);
  }
}

let pending = 0;
/** @param {number} change */
function busy(change) {
  pending += change;
  byId("main").setAttribute("aria-busy", String(pending > 0));
}

function stopPlayer() {
  state.playing = undefined;
  player.pause();
  player.removeAttribute("src");
  player.load();
  byId("now-playing").textContent = "Choose a chunk to play.";
}

/** @param {string} [message] */
function signOut(message = "Signed out.") {
  sessionStorage.removeItem(TOKEN_KEY);
  state.generation += 1;
  state.recording = undefined;
  stopPlayer();
  byId("results-body").replaceChildren();
  byId("results").hidden = true;
  byId("more").hidden = true;
  clearReconciliation();
  show("sign-in");
  say(message);
  byId("token", HTMLInputElement).focus();
}

// ---- list ----

/**
 * A cell with its column's name, shown beside the value when the table is laid out as cards (narrow screens).
 * @param {string} label
 * @param {{ text?: string | number, className?: string }} options
 * @param {...(Node | string)} children
 */
const cell = (label, options, ...children) => el("td", { ...options, attrs: { "data-label": label } }, ...children);

/** @param {RecordingItem} item */
function resultRow(item) {
  const open = el("button", { text: "Open", attrs: { type: "button" } });
  open.setAttribute("aria-label", `Open the recording started ${formatInstant(item.startedAt)} UTC`);
  open.addEventListener("click", () => guarded(() => openRecording(item.recordingId, open)));
  const people = el(
    "ul",
    { className: "plain" },
    ...peopleOf(item).map((person) => {
      const label = personLabel(person);
      const entry = el("li", { text: label.name, className: label.named ? "" : "unnamed" });
      entry.title = person.id;
      if (label.detail && label.named) entry.append(" ", el("span", { text: `(${label.detail})`, className: "role" }));
      return entry;
    }),
  );
  const badge = integrityBadge(item);
  const integrity = el("span", { text: badge.label, className: `badge ${badge.state}` });
  integrity.title = badge.title;
  return el(
    "tr",
    { attrs: { "data-recording-id": item.recordingId } },
    cell("Date (UTC)", { text: formatInstant(item.startedAt) }),
    cell("Direction", { text: directionText(item.direction) }),
    cell("People", {}, people),
    cell("Duration", { text: formatDuration(item.durationSeconds), className: "number" }),
    cell("Team", { text: item.team }),
    cell("Outcome", { text: item.ruleId ? `${item.outcome} (rule ${item.ruleId})` : item.outcome }),
    cell("Integrity", {}, integrity),
    cell("Review", { text: reviewText(item) }),
    el("td", {}, open),
  );
}

/** The loaded rows in the chosen order, and the headers saying which (aria-sort). */
function renderResults() {
  byId("results-body").replaceChildren(...sortItems(state.items, state.sort.key, state.sort.direction).map(resultRow));
  for (const button of byId("results").querySelectorAll("button.sort")) {
    const header = button.closest("th");
    const key = button.getAttribute("data-sort");
    header?.setAttribute("aria-sort", key === state.sort.key ? state.sort.direction : "none");
  }
}

/**
 * Shows the next page of results (the first when `fresh`), following short pages' cursors.
 * @param {boolean} fresh
 */
async function loadResults(fresh) {
  const generation = ++state.generation;
  // A newer search replaces any still in flight: its request is aborted, and its answer (if it came) dropped.
  state.listAbort?.abort();
  const abort = new AbortController();
  state.listAbort = abort;
  if (fresh) {
    state.cursor = null;
    state.shown = 0;
  }
  say("Searching…");
  /** @type {RecordingItem[]} */
  const items = [];
  let cursor = state.cursor;
  let requests = 0;
  try {
    do {
      const query = listQuery(state.fields, { cursor });
      if (!query.ok) throw new Error(query.problems.join(" "));
      const page = await api.list(query.query, abort.signal);
      if (generation !== state.generation) return;
      requests += 1;
      items.push(...page.items);
      cursor = page.nextCursor ?? null;
    } while (needsMore(items.length, cursor, requests));
  } catch (error) {
    if (abort.signal.aborted || (error instanceof DOMException && error.name === "AbortError")) return;
    throw error;
  }
  if (generation !== state.generation) return;

  state.items = fresh ? items : [...state.items, ...items];
  renderResults();
  state.cursor = cursor;
  state.shown += items.length;
  byId("results").hidden = false;
  byId("more").hidden = !cursor;
  const count = state.shown === 0 ? "No recordings match" : `${state.shown} recording(s)`;
  byId("results-caption").textContent = cursor ? `${count} so far; more may match` : count;
  say(state.shown === 0 ? "No recordings match these filters." : `${count} shown.`);
}

/** @param {FilterFields} fields */
async function search(fields) {
  const query = listQuery(fields);
  if (!query.ok) {
    complain(query.problems.join(" "));
    return;
  }
  state.fields = fields;
  await loadResults(true);
}

// ---- one recording ----

/**
 * @param {HTMLElement} list
 * @param {string} term
 * @param {string} value
 * @param {string | null} [title]
 */
function fact(list, term, value, title) {
  const detail = el("dd", { text: value });
  if (title) detail.title = title;
  list.append(el("dt", { text: term }), detail);
}

/** @param {RecordingDetail} detail */
function renderRecording(detail) {
  const item = detail.recording;
  const policy = detail.policy ?? {};
  byId("detail-heading").textContent = `Recording started ${formatInstant(item.startedAt)} UTC`;
  renderIntegrity(detail);

  const facts = byId("facts");
  facts.replaceChildren();
  fact(facts, "Recording id", item.recordingId);
  fact(facts, "Server call id", item.serverCallId);
  fact(facts, "Team", item.team);
  fact(facts, "Duration", formatDuration(item.durationSeconds));
  fact(facts, "Audio", [item.channelType, item.format].filter(Boolean).join(", ") || "—");
  fact(facts, "Policy outcome", policy.outcome ?? item.outcome ?? "—");
  fact(facts, "Policy rule", policy.ruleId ?? item.ruleId ?? "—");
  fact(facts, "Policy file SHA-256", shortHash(policy.policyHash), policy.policyHash);
  fact(facts, "Retained until", policy.retainUntil ? `${formatInstant(policy.retainUntil)} UTC` : "—");
  fact(facts, "Legal hold", policy.legalHold ? "yes" : "no");
  fact(
    facts,
    "Manifest",
    detail.manifestIntact ? "intact (matches its recorded SHA-256)" : "DOES NOT MATCH its recorded SHA-256",
    detail.manifestBlob,
  );
  const pauses = detail.pauses ?? [];
  fact(
    facts,
    "Pauses",
    pauses.length === 0
      ? "none"
      : pauses
          .map((p) => `chunk ${p.chunk} at ${formatInstant(p.startTime)} for ${formatDuration(p.durationMs / 1000)}`)
          .join("; "),
  );
  // A recording stopped on purpose ends there: shown like the pauses, with who or what stopped it and why.
  const stop = detail.endedBy;
  fact(
    facts,
    "Stopped",
    !stop
      ? "no (ran until the call or its recording ended)"
      : `${stop.trigger === "scope" ? "nobody in scope left on the call" : `on request by ${stop.by}`} at ${formatInstant(stop.at)} UTC (${stop.reason})`,
  );

  const people = detail.people ?? peopleOf({ participants: detail.participants ?? [] });
  byId("participants").replaceChildren(...people.map(personItem));

  const names = new Map(people.map((p) => [p.id, personLabel(p).name]));
  const channels = channelRows(detail.channelMap);
  byId("channels-body").replaceChildren(
    ...(channels.length === 0
      ? [el("tr", {}, el("td", { text: "No channel map (mixed audio).", attrs: { colspan: 2 } }))]
      : channels.map((row) =>
          el(
            "tr",
            {},
            el("td", { text: row.channel, className: "number" }),
            el("td", {
              text: names.get(row.participant) ?? shortId(row.participant),
              attrs: { title: row.participant },
            }),
          ),
        )),
  );

  // "Listen to" by name where the directory has one (the channel map carries ids).
  renderListening(
    detail.channelMap?.map((entry) => {
      const person = people.find((p) => p.id === entry.participantId);
      return person?.displayName ? { ...entry, participantId: person.displayName } : entry;
    }),
  );

  byId("chunks-body").replaceChildren(
    ...(detail.chunks ?? []).map((chunk) => {
      const play = el("button", { text: "Play", attrs: { type: "button", "data-chunk": chunk.index } });
      play.setAttribute("aria-label", `Play chunk ${chunk.index}`);
      play.addEventListener("click", () => guarded(() => playChunk(chunk.index)));
      const hash = el("code", { text: shortHash(chunk.sha256) });
      hash.title = chunk.sha256;
      return el(
        "tr",
        {},
        el("td", { text: chunk.index, className: "number" }),
        el("td", { text: chunk.startTime ? formatInstant(chunk.startTime) : "—" }),
        el("td", {
          text: typeof chunk.durationMs === "number" ? formatDuration(chunk.durationMs / 1000) : "—",
          className: "number",
        }),
        el("td", { text: formatBytes(chunk.sizeBytes), className: "number" }),
        el("td", {}, hash),
        el("td", {}, play),
      );
    }),
  );

  byId("verify-summary").textContent = "";
  byId("verify-summary").className = "";
  byId("verify-body").replaceChildren();
  byId("verify-results").hidden = true;
}

/**
 * Integrity and signature status, up front: the manifest as archived, its signature, the last verification.
 * @param {RecordingDetail} detail
 */
function renderIntegrity(detail) {
  const badge = integrityBadge(detail.recording);
  const manifest = detail.manifestIntact
    ? "Manifest intact (matches its recorded SHA-256)"
    : "Manifest DOES NOT MATCH its recorded SHA-256";
  const signature = detail.manifestSignature
    ? `signature: ${detail.manifestSignature.summary}`
    : "signature: not checked";
  const summary = byId("integrity-summary");
  summary.textContent = `${manifest}; ${signature}; ${badge.title}.`;
  const ok = detail.manifestIntact && detail.manifestSignature?.status !== "invalid" && badge.state !== "failed";
  summary.className = `integrity ${ok ? "ok" : "failed"}`;
}

/**
 * A person of the opened recording: name and role (or "not in the directory"), the id shortened, a copy button.
 * @param {Person} person
 */
function personItem(person) {
  const label = personLabel(person);
  const id = el("code", { text: shortId(person.id) });
  id.title = person.id;
  const copy = el("button", { text: "Copy id", attrs: { type: "button", class: "copy" } });
  copy.setAttribute("aria-label", `Copy id of ${label.name}`);
  copy.addEventListener("click", () => {
    void navigator.clipboard
      .writeText(person.id)
      .then(() => say(`Copied the id of ${label.name}.`))
      .catch(() => say(`Could not copy; the id is ${person.id}.`));
  });
  if (!label.named) return el("li", { attrs: { "data-id": person.id } }, id, " (not in the directory) ", copy);
  const about = [label.detail, person.location].filter(Boolean).join(", ");
  return el(
    "li",
    { attrs: { "data-id": person.id } },
    el("span", { text: label.name, className: "name" }),
    about ? ` (${about}) ` : " ",
    id,
    " ",
    copy,
  );
}

/**
 * "Listen to": all speakers (checked), then each channel of unmixed audio; hidden for other audio.
 * @param {ChannelMapEntry[] | undefined} channelMap
 */
function renderListening(channelMap) {
  const listening = speakerChoices(channelMap);
  state.listening = listening;
  byId("listen-choices").replaceChildren(
    ...listening.choices.map((choice) => {
      const id = `listen-${choice.value}`;
      const input = el("input", { attrs: { type: "radio", name: "listen", id, value: choice.value } });
      input.checked = choice.channel === null;
      return el("div", {}, input, " ", el("label", { text: choice.label, attrs: { for: id } }));
    }),
  );
  byId("listen").hidden = listening.choices.length === 0;
  // Web Audio already in use (a speaker was chosen before): all speakers of this recording, or for audio that
  // is not unmixed the element's own mix.
  if (routing.built)
    void guarded(() => routing.route(listening.channels ? channelGains(listening.channels, null) : null));
}

/**
 * The reviewer chose whom to listen to (a user gesture: the first choice may start the AudioContext).
 * @param {string} value
 */
async function listenTo(value) {
  const { channels, choices } = state.listening;
  const choice = choices.find((candidate) => candidate.value === value);
  if (!choice) return;
  await routing.route(channelGains(channels, choice.channel));
  say(choice.status);
}

/**
 * @param {string} recordingId
 * @param {HTMLElement} trigger
 */
async function openRecording(recordingId, trigger) {
  const generation = ++state.generation;
  say("Opening the recording…");
  const detail = await api.get(recordingId);
  if (generation !== state.generation) return;
  stopPlayer();
  state.recording = detail;
  state.returnFocus = trigger;
  renderRecording(detail);
  byId("timeline-body").replaceChildren();
  byId("waveforms").replaceChildren();
  show("detail");
  say(`Opened the recording started ${formatInstant(detail.recording.startedAt)} UTC.`);
  byId("detail-heading").focus();
  const first = detail.chunks?.[0];
  await Promise.all([showTimeline(detail), first ? showWaveform(first.index) : Promise.resolve()]);
  document.dispatchEvent(
    new CustomEvent("qa:recording", {
      detail: { recording: detail, position: recordingPosition, seek: seekRecording },
    }),
  );
}

// ---- waveform and timeline ----

/** @typedef {{ channels: number, durationMs: number, peaks: number[][] }} Peaks */

/** The waveforms drawn: of which chunk, how long it is, each canvas with its bars. */
const waves = {
  index: -1,
  durationMs: 0,
  /** @type {{ canvas: HTMLCanvasElement, peaks: number[] }[]} */
  drawn: [],
};

/**
 * Plays the opened recording from `seconds` into chunk `index`: the player seeks when that chunk is the one
 * loaded, else it loads it (a ticket) and starts there.
 * @param {number} index
 * @param {number} seconds
 */
async function seekTo(index, seconds) {
  if (state.playing?.index === index && player.getAttribute("src")) {
    player.currentTime = seconds;
    await player.play().catch(() => say("Press play in the player to listen."));
  } else {
    await playChunk(index, { at: seconds, play: true });
  }
  say(`Playing chunk ${index} from ${formatDuration(seconds)}.`);
}

/**
 * The chunk's peaks (fetched once per chunk; undefined when it has none).
 * @param {string} recordingId
 * @param {number} index
 * @returns {Promise<Peaks | undefined>}
 */
function peaksOf(recordingId, index) {
  const key = `${recordingId}/${index}`;
  let found = state.peaks.get(key);
  if (!found) {
    found = api.peaks(recordingId, index).catch((error) => {
      // Not kept: a chunk archived a moment ago may have its peaks written by the time it is opened again.
      state.peaks.delete(key);
      if (error instanceof ApiError && error.status === 404) return undefined;
      throw error;
    });
    state.peaks.set(key, found);
  }
  return found;
}

/**
 * Draws each speaker's waveform of chunk `index` of the opened recording (one canvas per channel).
 * @param {number} index
 */
async function showWaveform(index) {
  const recording = state.recording;
  if (!recording) return;
  const peaks = await peaksOf(recording.recording.recordingId, index);
  if (state.recording !== recording) return;
  const box = byId("waveforms");
  waves.index = index;
  waves.drawn = [];
  if (!peaks) {
    waves.durationMs = 0;
    box.replaceChildren(
      el("p", {
        text: `No waveform for chunk ${index}: its audio is neither WAV nor MP3, or it was archived before waveforms were kept.`,
      }),
    );
    return;
  }
  waves.durationMs = peaks.durationMs;
  const labels = waveformLabels(peaks.channels, recording.channelMap, recording.people ?? []);
  box.replaceChildren(
    ...labels.map((label, channel) => {
      const canvas = el("canvas", {
        className: "wave",
        attrs: {
          role: "slider",
          tabindex: 0,
          "aria-label": `Waveform of ${label}, chunk ${index}: play from a point`,
          "aria-valuemin": 0,
          "aria-valuemax": Math.round(peaks.durationMs / 1000),
          "aria-valuenow": 0,
          "aria-describedby": "waveform-note",
          "data-channel": channel,
        },
      });
      waves.drawn.push({ canvas, peaks: peaks.peaks[channel] ?? [] });
      canvas.addEventListener("click", (event) => {
        const box = canvas.getBoundingClientRect();
        const fraction = Math.min(1, Math.max(0, (event.clientX - box.left) / Math.max(1, box.width)));
        void guarded(() => seekTo(index, (fraction * waves.durationMs) / 1000));
      });
      canvas.addEventListener("keydown", (event) => {
        const now = state.playing?.index === index ? player.currentTime : 0;
        const end = waves.durationMs / 1000;
        /** @type {Record<string, number>} */
        const moves = { ArrowRight: now + 5, ArrowUp: now + 5, ArrowLeft: now - 5, ArrowDown: now - 5 };
        Object.assign(moves, { PageUp: now + 30, PageDown: now - 30, Home: 0, End: Math.max(0, end - 1) });
        const to = moves[event.key];
        if (to === undefined) return;
        event.preventDefault();
        void guarded(() => seekTo(index, Math.min(Math.max(0, to), end)));
      });
      return el("figure", { className: "wave" }, el("figcaption", { text: label }), canvas);
    }),
  );
  drawWaves();
}

/** (Re)draws the waveforms with the playing position marked. */
function drawWaves() {
  const at = state.playing?.index === waves.index ? player.currentTime : 0;
  const fraction = waves.durationMs > 0 ? Math.min(1, (at * 1000) / waves.durationMs) : 0;
  for (const { canvas, peaks } of waves.drawn) {
    const width = Math.max(1, canvas.clientWidth);
    const height = Math.max(1, canvas.clientHeight);
    canvas.width = width;
    canvas.height = height;
    const context = canvas.getContext("2d");
    if (!context) continue;
    const color = getComputedStyle(canvas).color;
    const bars = barHeights(peaks, Math.floor(width / 2));
    context.clearRect(0, 0, width, height);
    bars.forEach((peak, i) => {
      const bar = Math.max(1, peak * height);
      context.globalAlpha = (i * 2) / width <= fraction ? 1 : 0.45;
      context.fillStyle = color;
      context.fillRect(i * 2, (height - bar) / 2, 1, bar);
    });
    context.globalAlpha = 1;
    context.fillRect(Math.round(fraction * (width - 1)), 0, 2, height);
    canvas.setAttribute("aria-valuenow", String(Math.round(at)));
    canvas.setAttribute("aria-valuetext", `${formatDuration(at)} of ${formatDuration(waves.durationMs / 1000)}`);
  }
}
player.addEventListener("timeupdate", drawWaves);
player.addEventListener("seeked", drawWaves);

/**
 * The call's timeline: what happened, when, where in the audio; a button plays from there.
 * @param {RecordingDetail} detail
 */
async function showTimeline(detail) {
  const { events } = await api.timeline(detail.recording.recordingId);
  if (state.recording !== detail) return;
  const rows = timelineRows(events, detail.people ?? []);
  const chunks = detail.chunks ?? [];
  byId("timeline-body").replaceChildren(
    ...rows.map((row) => {
      const target = row.audioMs === null ? undefined : seekTarget(row.audioMs, chunks);
      const jump = target
        ? el("button", { text: "Play from here", attrs: { type: "button", "data-kind": row.kind } })
        : el("span", { text: "" });
      if (target) {
        jump.setAttribute("aria-label", `Play from here: ${row.audio}, ${row.what}`);
        jump.addEventListener("click", () => guarded(() => seekTo(target.index, target.seconds)));
      }
      return el(
        "tr",
        { className: row.pause ? "pause" : "", attrs: { "data-kind": row.kind } },
        el("td", { text: row.when }),
        el("td", { text: row.audio, className: "number" }),
        el("td", { text: row.what }),
        el("td", { text: row.who }),
        el("td", { text: row.why }),
        el("td", {}, jump),
      );
    }),
  );
  byId("timeline-caption").textContent = `What happened on the call: ${rows.length} event(s)`;
}

/**
 * Plays the opened recording from `seconds` after its start (reviews.js: a review comment's time): the chunk that
 * holds that moment, at the right place in it.
 * @param {number} seconds
 */
async function seekRecording(seconds) {
  const chunks = [...(state.recording?.chunks ?? [])].sort((a, b) => a.index - b.index);
  let start = 0;
  for (const [i, chunk] of chunks.entries()) {
    const length = (chunk.durationMs ?? 0) / 1000;
    if (seconds < start + length || i === chunks.length - 1) {
      await seekTo(chunk.index, Math.max(0, seconds - start));
      return;
    }
    start += length;
  }
}

/** Where the player is, in seconds from the recording's start (the chunks before the one playing, and into it). */
function recordingPosition() {
  const chunks = state.recording?.chunks ?? [];
  const index = state.playing?.index ?? 0;
  const before = chunks.filter((c) => c.index < index).reduce((sum, c) => sum + (c.durationMs ?? 0) / 1000, 0);
  return before + (state.playing ? player.currentTime : 0);
}

// ---- playing ----

/**
 * Plays a chunk through a fresh stream ticket, from `at` seconds (paused there when `play` is false). `renewal`
 * marks a ticket fetched because the previous one expired: if that one fails too, the error is real.
 * @param {number} index
 * @param {{ at?: number, play?: boolean, renewal?: boolean }} [options]
 */
async function playChunk(index, { at = 0, play = true, renewal = false } = {}) {
  const recording = state.recording;
  if (!recording) return;
  const ticket = await api.play(recording.recording.recordingId, index);
  if (state.recording !== recording) return;
  state.playing = { index, expiresAt: Date.parse(ticket.expiresAt), renewal };
  player.src = ticket.url;
  if (at > 0) player.addEventListener("loadedmetadata", () => (player.currentTime = at), { once: true });
  const count = recording.chunks?.length ?? 0;
  byId("now-playing").textContent = `Chunk ${index} of ${count} (chunks count from 0).`;
  if (waves.index !== index) void guarded(() => showWaveform(index));
  void routing.resume().catch(() => undefined);
  if (play) await player.play().catch(() => say("Press play in the player to listen."));
}

// A ticket expires (PLAYBACK_TICKET_SECONDS): a seek past what the browser holds, after that, is refused. Get a
// new ticket and carry on at the same position, playing or paused as before — once; a renewed ticket that
// fails before the audio could play again is a real error, shown as such.
// Whether it was playing cannot be read from `player.paused` then: Chromium pauses the element on the failed
// request before the page hears of it (and fires "pause" after "error"), so the page keeps the reviewer's own
// last play or pause.
let playingWanted = false;
player.addEventListener("play", () => (playingWanted = true));
player.addEventListener("pause", () => {
  if (!player.error) playingWanted = false;
});
player.addEventListener("error", () => {
  const playing = state.playing;
  if (!playing || !player.getAttribute("src")) return;
  if (!playing.renewal && Date.now() >= playing.expiresAt - TICKET_MARGIN_MS) {
    const resume = { at: player.currentTime, play: playingWanted, renewal: true };
    void guarded(() => playChunk(playing.index, resume));
    return;
  }
  complain(`The audio of chunk ${playing.index} could not be played (media error ${player.error?.code ?? "?"}).`);
});
player.addEventListener("canplay", () => {
  if (state.playing) state.playing.renewal = false;
});

// One chunk after the other, as the call went.
player.addEventListener("ended", () => {
  const next = (state.playing?.index ?? -1) + 1;
  if (state.recording && next < (state.recording.chunks?.length ?? 0)) void guarded(() => playChunk(next));
});

// ---- verification ----

async function verifyRecording() {
  const recording = state.recording;
  if (!recording) return;
  const button = byId("verify", HTMLButtonElement);
  button.disabled = true;
  byId("verify-summary").textContent = "Verifying: reading every archived byte again…";
  try {
    const report = await api.verify(recording.recording.recordingId);
    if (state.recording !== recording) return;
    const view = verificationView(report);
    byId("verify-summary").textContent = view.summary;
    byId("verify-summary").className = view.ok ? "ok" : "failed";
    byId("verify-body").replaceChildren(
      ...view.rows.map((row) =>
        el(
          "tr",
          { className: row.ok ? "ok" : "failed" },
          el("td", { text: row.item }),
          el("td", { text: row.ok ? "ok" : "FAILED" }),
          el("td", { text: row.details }),
        ),
      ),
    );
    byId("verify-results").hidden = false;
  } finally {
    button.disabled = false;
  }
}

// ---- reconciliation ----

/** Increased by every reconciliation request (and sign-out), so that a slow, superseded answer is dropped. */
let reconcileGeneration = 0;

function clearReconciliation() {
  reconcileGeneration += 1;
  byId("reconcile-report").hidden = true;
  byId("reconcile-none").hidden = true;
  byId("reconcile-team-field").hidden = true;
  byId("reconcile-team").replaceChildren(el("option", { text: "All teams", attrs: { value: "" } }));
}

/**
 * Shows the last reconciliation for `team` ("" : the token's own team, or every team for an auditor); the API's
 * 404 before any run is explained, not shown as a failure.
 * @param {string} team
 */
async function loadReconciliation(team) {
  const generation = ++reconcileGeneration;
  say("Loading the last reconciliation…");
  /** @type {import("./view.js").Reconciliation} */
  let answer;
  try {
    answer = await api.reconciliation(reconcileQuery(team));
  } catch (error) {
    if (generation !== reconcileGeneration) return;
    if (!(error instanceof ApiError && error.status === 404 && /^no reconciliation/.test(error.message))) throw error;
    byId("reconcile-report").hidden = true;
    byId("reconcile-none").textContent = NO_RECONCILIATION;
    byId("reconcile-none").hidden = false;
    say("No reconciliation has run yet.");
    return;
  }
  if (generation !== reconcileGeneration) return;
  const view = reconciliationView(answer);
  if (!team) renderTeamChoice(view.teams);

  byId("reconcile-none").hidden = true;
  byId("reconcile-summary").textContent = view.summary;
  byId("reconcile-alert").textContent = view.alert;
  byId("reconcile-alert").hidden = !view.alert;
  byId("reconcile-counts-body").replaceChildren(
    ...view.counts.map((row) =>
      el(
        "tr",
        { className: row.alert ? "alert" : "", attrs: { "data-status": row.status } },
        el("th", { text: row.alert ? `${row.label} (alert)` : row.label, attrs: { scope: "row" } }),
        el("td", { text: row.count, className: "number" }),
      ),
    ),
  );
  byId("reconcile-problems").replaceChildren(...view.problems.map((problem) => el("li", { text: problem })));
  byId("reconcile-problems-part").hidden = view.problems.length === 0;
  byId("reconcile-calls-body").replaceChildren(
    ...(view.rows.length === 0
      ? [el("tr", {}, el("td", { text: "None: every call was verified.", attrs: { colspan: 7 } }))]
      : view.rows.map((row) =>
          el(
            "tr",
            { className: row.alert ? "alert" : "", attrs: { "data-status": row.status } },
            el("td", { text: row.alert ? `${row.label} (alert)` : row.label }),
            el("td", { text: row.teams }),
            el("td", { className: "id" }, el("code", { text: row.correlationId })),
            el("td", { text: row.startedAt }),
            el("td", { text: row.duration, className: "number" }),
            el("td", { className: "id", text: row.serverCallIds }),
            el("td", {}, el("ul", { className: "plain" }, ...row.mismatch.map((line) => el("li", { text: line })))),
          ),
        )),
  );
  byId("reconcile-calls-caption").textContent = `Calls not verified: ${view.rows.length}`;
  byId("reconcile-left-out").textContent = view.leftOut;
  byId("reconcile-left-out").hidden = !view.leftOut;
  byId("reconcile-report").hidden = false;
  say(`Reconciliation shown${team ? ` for ${team}` : ""}. ${view.alert || "No call needs a person."}`);
}

/**
 * The team choice, for an auditor: all teams, or one of those the all-teams answer counted. Hidden when there is
 * nothing to choose (a team token sees its own team only).
 * @param {string[]} teams
 */
function renderTeamChoice(teams) {
  const select = byId("reconcile-team", HTMLSelectElement);
  const chosen = select.value;
  select.replaceChildren(
    el("option", { text: "All teams", attrs: { value: "" } }),
    ...teams.map((team) => el("option", { text: team, attrs: { value: team } })),
  );
  select.value = teams.includes(chosen) ? chosen : "";
  byId("reconcile-team-field").hidden = teams.length < 2;
}

// ---- wiring ----

for (const outcome of OUTCOMES) byId("outcome").append(el("option", { text: outcome, attrs: { value: outcome } }));

byId("sign-in-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = byId("token", HTMLInputElement);
  const token = input.value.trim();
  input.value = "";
  if (!token) return;
  sessionStorage.setItem(TOKEN_KEY, token);
  show("browse");
  void guarded(() => search({}));
  document.dispatchEvent(new CustomEvent("qa:signed-in"));
});

byId("sign-out").addEventListener("click", () => signOut());

byId("show-recordings").addEventListener("click", () => {
  state.generation += 1;
  stopPlayer();
  state.recording = undefined;
  show("browse");
  say(`Recordings: ${byId("results-caption").textContent}.`);
  // The list was never shown (its first search was superseded when "My queue" came first): load it now.
  if (byId("results").hidden) void guarded(() => search(state.fields));
});

byId("show-reconciliation").addEventListener("click", () => {
  state.generation += 1;
  stopPlayer();
  state.recording = undefined;
  show("reconciliation");
  byId("reconciliation-heading").focus();
  void guarded(() => loadReconciliation(byId("reconcile-team", HTMLSelectElement).value));
});

byId("reconcile-filters").addEventListener("submit", (event) => {
  event.preventDefault();
  void guarded(() => loadReconciliation(byId("reconcile-team", HTMLSelectElement).value));
});

const filters = byId("filters", HTMLFormElement);
filters.addEventListener("submit", (event) => {
  event.preventDefault();
  const fields = /** @type {FilterFields} */ (Object.fromEntries(new FormData(filters)));
  void guarded(() => search(fields));
});
// "reset" fires before the fields are cleared: search once they are.
filters.addEventListener("reset", () => setTimeout(() => void guarded(() => search({})), 0));

byId("more").addEventListener("click", () => guarded(() => loadResults(false)));

// Sorting the rows loaded (a header's button: newest-first date is the API's own order; a second press reverses).
for (const button of byId("results").querySelectorAll("button.sort")) {
  button.addEventListener("click", () => {
    const key = /** @type {SortKey} */ (button.getAttribute("data-sort"));
    const same = state.sort.key === key;
    const direction = same
      ? state.sort.direction === "ascending"
        ? "descending"
        : "ascending"
      : key === "startedAt" || key === "durationSeconds"
        ? "descending"
        : "ascending";
    state.sort = { key, direction };
    renderResults();
    say(`Sorted by ${button.textContent?.trim() ?? key}, ${direction}.`);
  });
}

byId("back").addEventListener("click", () => {
  state.generation += 1;
  stopPlayer();
  state.recording = undefined;
  show("browse");
  say(`Back to the list: ${byId("results-caption").textContent}.`);
  if (state.returnFocus?.isConnected) state.returnFocus.focus();
  // Opened from "My queue" before the list was ever shown: load it now.
  if (byId("results").hidden) void guarded(() => search(state.fields));
});

byId("verify").addEventListener("click", () => guarded(verifyRecording));

byId("listen-choices").addEventListener("change", (event) => {
  const input = event.target;
  if (input instanceof HTMLInputElement) void guarded(() => listenTo(input.value));
});

// The views of reviews.js ("My queue", "Reports"), and a recording it opens from the queue.
document.addEventListener("qa:show", (event) => {
  state.generation += 1;
  stopPlayer();
  state.recording = undefined;
  show(/** @type {CustomEvent<"queue" | "reports">} */ (event).detail);
});
document.addEventListener("qa:open-recording", (event) => {
  void guarded(() => openRecording(String(/** @type {CustomEvent} */ (event).detail), byId("show-queue")));
});

if (sessionStorage.getItem(TOKEN_KEY)) {
  show("browse");
  void guarded(() => search({}));
  document.dispatchEvent(new CustomEvent("qa:signed-in"));
} else {
  show("sign-in");
}
