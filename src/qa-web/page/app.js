// The QA page's shell: sign-in, filters, list, one recording (facts, participants, channel map, chunks,
// player with listening per speaker, verification), and the last reconciliation against ACS's call logs. Everything shown comes from the API and is written as text
// (textContent), never as HTML. The token is kept in sessionStorage only: it dies with the tab and is never put
// in a URL.
/* global document, sessionStorage, CustomEvent, FormData, setTimeout, HTMLElement, HTMLAudioElement, HTMLButtonElement, HTMLFormElement, HTMLInputElement, HTMLSelectElement */
import { ApiError, createApi } from "./api.js";
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
} from "./view.js";

/** @typedef {import("./api.js").RecordingItem} RecordingItem */
/** @typedef {import("./api.js").RecordingDetail} RecordingDetail */
/** @typedef {import("./view.js").ChannelMapEntry} ChannelMapEntry */
/** @typedef {import("./view.js").FilterFields} FilterFields */
/** @typedef {import("./view.js").SpeakerChoice} SpeakerChoice */

const TOKEN_KEY = "compliance-recorder.qa.token";
/** Ask for a fresh stream ticket this long before the current one expires (ms). */
const TICKET_MARGIN_MS = 5_000;

/**
 * An element of index.html by id, of the kind the page uses it as: a missing one is a bug in the page.
 * @template {HTMLElement} [T=HTMLElement]
 * @param {string} id
 * @param {{ new (): T, prototype: T }} [kind]
 * @returns {T}
 */
function byId(id, kind) {
  const node = document.getElementById(id);
  if (!(node instanceof (kind ?? HTMLElement))) throw new Error(`the page has no ${kind?.name ?? "element"} #${id}`);
  return /** @type {T} */ (node);
}
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
};

/**
 * `el("td", { text: "x", className: "y", attrs: { title: "z" } }, child…)`
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {{ text?: string | number, className?: string, attrs?: Record<string, string | number> }} [options]
 * @param {...(Node | string)} children
 * @returns {HTMLElementTagNameMap[K]}
 */
function el(tag, { text, className, attrs = {} } = {}, ...children) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = String(text);
  if (className) node.className = className;
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  node.append(...children);
  return node;
}

/** @param {string} text */
const say = (text) => {
  byId("status").textContent = text;
};
/** @param {string} text */
function complain(text) {
  byId("problem").textContent = text;
  byId("problem").hidden = !text;
}

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

/** @param {RecordingItem} item */
function resultRow(item) {
  const open = el("button", { text: "Open", attrs: { type: "button" } });
  open.setAttribute("aria-label", `Open the recording started ${formatInstant(item.startedAt)} UTC`);
  open.addEventListener("click", () => guarded(() => openRecording(item.recordingId, open)));
  const participants = el("ul", { className: "plain" }, ...(item.participants ?? []).map((p) => el("li", { text: p })));
  return el(
    "tr",
    { attrs: { "data-recording-id": item.recordingId } },
    el("td", { text: formatInstant(item.startedAt) }),
    el("td", { className: "id" }, el("code", { text: item.serverCallId })),
    el("td", { text: item.team }),
    el("td", { text: formatDuration(item.durationSeconds), className: "number" }),
    el("td", {}, participants),
    el("td", { text: item.ruleId ? `${item.outcome} (rule ${item.ruleId})` : item.outcome }),
    el("td", { text: item.chunkCount, className: "number" }),
    el("td", {}, open),
  );
}

/**
 * Shows the next page of results (the first when `fresh`), following short pages' cursors.
 * @param {boolean} fresh
 */
async function loadResults(fresh) {
  const generation = ++state.generation;
  if (fresh) {
    state.cursor = null;
    state.shown = 0;
  }
  say("Searching…");
  /** @type {HTMLTableRowElement[]} */
  const rows = [];
  let cursor = state.cursor;
  let requests = 0;
  do {
    const query = listQuery(state.fields, { cursor });
    if (!query.ok) throw new Error(query.problems.join(" "));
    const page = await api.list(query.query);
    if (generation !== state.generation) return;
    requests += 1;
    rows.push(...page.items.map(resultRow));
    cursor = page.nextCursor ?? null;
  } while (needsMore(rows.length, cursor, requests));

  const body = byId("results-body");
  if (fresh) body.replaceChildren(...rows);
  else body.append(...rows);
  state.cursor = cursor;
  state.shown += rows.length;
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

  byId("participants").replaceChildren(
    ...(detail.participants ?? []).map((p) => el("li", {}, el("code", { text: p }))),
  );

  const channels = channelRows(detail.channelMap);
  byId("channels-body").replaceChildren(
    ...(channels.length === 0
      ? [el("tr", {}, el("td", { text: "No channel map (mixed audio).", attrs: { colspan: 2 } }))]
      : channels.map((row) =>
          el(
            "tr",
            {},
            el("td", { text: row.channel, className: "number" }),
            el("td", {}, el("code", { text: row.participant })),
          ),
        )),
  );

  renderListening(detail.channelMap);

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
  show("detail");
  say(`Opened the recording started ${formatInstant(detail.recording.startedAt)} UTC.`);
  byId("detail-heading").focus();
  document.dispatchEvent(
    new CustomEvent("qa:recording", {
      detail: { recording: detail, position: recordingPosition, seek: seekRecording },
    }),
  );
}

/**
 * Plays the opened recording from `seconds` after its start: the chunk that holds that moment, at the right place in
 * it (the player seeks when that chunk is loaded already).
 * @param {number} seconds
 */
async function seekRecording(seconds) {
  const chunks = [...(state.recording?.chunks ?? [])].sort((a, b) => a.index - b.index);
  let start = 0;
  for (const [i, chunk] of chunks.entries()) {
    const length = (chunk.durationMs ?? 0) / 1000;
    if (seconds < start + length || i === chunks.length - 1) {
      const at = Math.max(0, seconds - start);
      if (state.playing?.index === chunk.index && player.getAttribute("src")) {
        player.currentTime = at;
        await player.play().catch(() => say("Press play in the player to listen."));
      } else await playChunk(chunk.index, { at });
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

byId("back").addEventListener("click", () => {
  state.generation += 1;
  stopPlayer();
  state.recording = undefined;
  show("browse");
  say(`Back to the list: ${byId("results-caption").textContent}.`);
  if (state.returnFocus?.isConnected) state.returnFocus.focus();
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
