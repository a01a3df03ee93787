// The QA page's reviews (docs/reviews.md "The QA page"): "My queue" (shown first to a reviewer whose team has a
// scorecard), the scorecard form in the recording view (answers, comments pinned to the player's position, flags,
// submit), and "Reports" (scores per week as a table and a chart, CSV download). It meets app.js through a few
// document events only:
//   app.js → here: "qa:view" (detail: the view shown), "qa:signed-in", "qa:recording" (detail: { recording, position }
//     where position() is the player's position in seconds from the recording's start);
//   here → app.js: "qa:show" (detail: "queue" | "reports"), "qa:open-recording" (detail: a recording id).
// Everything shown is written as text (textContent); the token stays in sessionStorage and goes in a header only.
/* global document, sessionStorage, fetch, FormData, URL, URLSearchParams, Blob, CustomEvent */
import { byId, complain, el, say } from "./dom.js";
import {
  FLAG_KINDS,
  FLAG_LABELS,
  answersFrom,
  choicesOf,
  formatOffset,
  queueCells,
  reportSeries,
  scoreText,
} from "./reviews-view.js";

/** @typedef {import("./reviews-view.js").Scorecard} Scorecard */
/** @typedef {import("./reviews-view.js").Review} Review */
/** @typedef {import("./reviews-view.js").QueueItem} QueueItem */
/** @typedef {import("./reviews-view.js").ReportRow} ReportRow */

const TOKEN_KEY = "compliance-recorder.qa.token";
/** Served from this origin (src/qa-web/routes.ts), loaded when the reports view first draws a chart. */
const UPLOT_URL = "/qa/uplot.js";

/**
 * The API with the signed-in token; a refusal throws with its reason.
 * @param {string} method
 * @param {string} path
 * @param {unknown} [body]
 * @returns {Promise<Response>}
 */
async function call(method, path, body) {
  /** @type {Record<string, string>} */
  const headers = { authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY) ?? ""}` };
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(path, {
    method,
    headers,
    credentials: "omit",
    cache: "no-store",
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!response.ok) {
    const answer = await response.json().catch(() => undefined);
    const reason = answer && typeof answer.error === "string" ? answer.error : response.statusText;
    throw new Error(`${reason} (HTTP ${response.status})`);
  }
  return response;
}
/**
 * @param {string} method
 * @param {string} path
 * @param {unknown} [body]
 */
const json = async (method, path, body) => /** @type {Promise<any>} */ ((await call(method, path, body)).json());

/**
 * Runs an action, showing a failure; `#reviews-busy` tells the browser test (and assistive technology) it ran.
 * @param {() => Promise<void>} action
 */
async function guarded(action) {
  complain("");
  document.body.dataset.reviewsBusy = String(Number(document.body.dataset.reviewsBusy ?? "0") + 1);
  try {
    await action();
  } catch (error) {
    complain(`Something went wrong: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    document.body.dataset.reviewsBusy = String(Number(document.body.dataset.reviewsBusy ?? "1") - 1);
  }
}

const state = {
  /** @type {string} */
  me: "",
  /** The opened recording and how to ask the player where it is. */
  /** @type {{ recordingId: string, position: () => number, seek: (seconds: number) => Promise<void> } | undefined} */
  recording: undefined,
  /** @type {{ atSeconds: number, text: string }[]} */
  comments: [],
  /** @type {{ destroy(): void } | undefined} */
  chart: undefined,
};

// ---- views ----

/** @param {string} view */
function onView(view) {
  for (const [section, tab] of /** @type {const} */ ([
    ["queue", "show-queue"],
    ["reports", "show-reports"],
  ])) {
    const current = view === section;
    byId(section).hidden = !current;
    if (current) byId(tab).setAttribute("aria-current", "page");
    else byId(tab).removeAttribute("aria-current");
  }
  if (view !== "detail") {
    state.recording = undefined;
    byId("review-panel").replaceChildren();
  }
  if (view === "sign-in") {
    byId("queue-body").replaceChildren();
    byId("report-body").replaceChildren();
    state.chart?.destroy();
    state.chart = undefined;
  }
  if (view === "queue") void guarded(loadQueue);
}

/** @param {"queue" | "reports"} view */
const showView = (view) => document.dispatchEvent(new CustomEvent("qa:show", { detail: view }));

// ---- my queue ----

async function loadQueue() {
  const answer = await json("GET", "/api/reviews/queue");
  state.me = answer.reviewer;
  /** @type {QueueItem[]} */
  const items = answer.items;
  byId("queue-body").replaceChildren(
    ...items.map((item) => {
      const cells = queueCells(item, state.me);
      const open = el("button", { text: "Open", attrs: { type: "button" } });
      open.setAttribute(
        "aria-label",
        `Open the recording of ${item.agentName ?? item.agent} started ${item.startedAt.slice(0, 19).replace("T", " ")} UTC`,
      );
      open.addEventListener("click", () => void guarded(() => openFromQueue(item)));
      return el(
        "tr",
        { attrs: { "data-recording-id": item.recordingId } },
        el("td", { text: item.startedAt.slice(0, 19).replace("T", " ") }),
        el("td", { text: item.team }),
        el(
          "td",
          {},
          item.agentName
            ? el("span", { text: item.agentName, attrs: { title: item.agent } })
            : el("code", { text: item.agent }),
        ),
        el("td", { text: cells.why }),
        el("td", { text: cells.status }),
        el("td", { text: cells.assignee }),
        el("td", {}, open),
      );
    }),
  );
  const mine = items.filter((i) => i.assignee === state.me && i.status !== "done").length;
  byId("queue-caption").textContent = `${items.length} queued recording(s), ${mine} assigned to you (yours first)`;
  say(`My queue: ${mine} recording(s) assigned to you.`);
}

/** @param {QueueItem} item */
async function openFromQueue(item) {
  if (item.status === "to-review")
    await call("POST", `/api/reviews/queue/${encodeURIComponent(item.recordingId)}/start`).catch(() => undefined);
  document.dispatchEvent(new CustomEvent("qa:open-recording", { detail: item.recordingId }));
}

// ---- the scorecard form in the recording view ----

/**
 * @param {string} recordingId
 */
async function loadReviews(recordingId) {
  const answer = await json("GET", `/api/recordings/${encodeURIComponent(recordingId)}/reviews`);
  if (state.recording?.recordingId !== recordingId) return;
  renderPanel(recordingId, answer.scorecard, answer.reviews, answer.queue);
}

/**
 * @param {string} recordingId
 * @param {Scorecard | null} scorecard
 * @param {Review[]} reviews
 * @param {QueueItem | null} queued
 */
function renderPanel(recordingId, scorecard, reviews, queued) {
  const panel = byId("review-panel");
  state.comments = [];
  /** @type {HTMLElement[]} */
  const parts = [el("h3", { text: "Review", attrs: { id: "review-heading", tabindex: -1 } })];
  parts.push(
    el("p", {
      text: queued ? `In the review queue: ${queueCells(queued, state.me).status}.` : "Not in the review queue.",
    }),
  );
  parts.push(reviewList(reviews));
  if (!scorecard) {
    parts.push(el("p", { text: "This team has no scorecard: its recordings cannot be reviewed here." }));
    panel.replaceChildren(...parts);
    return;
  }
  const mine = reviews.find((r) => r.reviewer === state.me);
  parts.push(scorecardForm(recordingId, scorecard, mine));
  panel.replaceChildren(...parts);
}

/** @param {Review[]} reviews */
function reviewList(reviews) {
  if (reviews.length === 0) return el("p", { text: "No review yet.", attrs: { id: "reviews-none" } });
  return el(
    "ul",
    { attrs: { id: "reviews-list" } },
    ...reviews.map((r) =>
      el(
        "li",
        { attrs: { "data-review-id": r.reviewId } },
        el("strong", { text: `${r.reviewer}, version ${r.version}: ${scoreText(r.score)}` }),
        ` — submitted ${r.submittedAt.slice(0, 19).replace("T", " ")} UTC`,
        r.flags.length ? ` — flags: ${r.flags.map((f) => FLAG_LABELS[f.kind] ?? f.kind).join(", ")}` : "",
        r.summary ? el("p", { text: r.summary }) : "",
        r.comments.length
          ? el(
              "ul",
              { className: "comments" },
              ...r.comments.map((c) => el("li", {}, commentTime(c.atSeconds), ` ${c.text}`)),
            )
          : "",
      ),
    ),
  );
}

/**
 * A comment's time as a button that plays the recording from there.
 * @param {number} atSeconds
 */
function commentTime(atSeconds) {
  const button = el("button", { text: formatOffset(atSeconds), className: "at", attrs: { type: "button" } });
  button.setAttribute("aria-label", `Play from ${formatOffset(atSeconds)}`);
  button.addEventListener("click", () => {
    const recording = state.recording;
    if (recording) void guarded(() => recording.seek(atSeconds));
  });
  return button;
}

/**
 * @param {string} recordingId
 * @param {Scorecard} scorecard
 * @param {Review | undefined} mine the signed-in reviewer's earlier review: the form submits its next version
 */
function scorecardForm(recordingId, scorecard, mine) {
  const form = el("form", { attrs: { id: "scorecard", method: "post", "aria-describedby": "scorecard-note" } });
  form.append(
    el("h4", { text: scorecard.title }),
    el("p", {
      className: "note",
      attrs: { id: "scorecard-note" },
      text: `Pass mark ${scorecard.passMark}%. A "No" to a critical question fails the review whatever the score.${
        mine
          ? ` You reviewed this recording (version ${mine.version}): submitting makes version ${mine.version + 1}; earlier versions are kept.`
          : ""
      }`,
    }),
  );
  for (const section of scorecard.sections) {
    const fieldset = el("fieldset", {}, el("legend", { text: `${section.title} (weight ${section.weight})` }));
    for (const question of section.questions) {
      const group = el("fieldset", { className: "question" });
      group.append(el("legend", { text: `${question.text}${question.critical ? " (critical)" : ""}` }));
      for (const choice of choicesOf(question)) {
        const input = el("input", { attrs: { type: "radio", name: question.id, value: choice.value, required: "" } });
        if (mine && String(mine.answers[question.id]) === choice.value) input.checked = true;
        group.append(el("label", {}, input, ` ${choice.label}`));
      }
      fieldset.append(group);
    }
    form.append(fieldset);
  }

  const commentText = el("input", { attrs: { id: "comment-text", type: "text", maxlength: 2000 } });
  const addComment = el("button", {
    text: "Add comment at the current time",
    attrs: { type: "button", id: "add-comment" },
  });
  const pending = el("ul", { attrs: { id: "pending-comments" }, className: "comments" });
  addComment.addEventListener("click", () => {
    const text = commentText.value.trim();
    if (!text || !state.recording) return;
    const atSeconds = Math.round(state.recording.position() * 10) / 10;
    state.comments.push({ atSeconds, text });
    pending.append(el("li", {}, el("span", { className: "at", text: formatOffset(atSeconds) }), ` ${text}`));
    commentText.value = "";
    say(`Comment pinned at ${formatOffset(atSeconds)}.`);
  });
  form.append(
    el(
      "fieldset",
      {},
      el("legend", { text: "Comments pinned to a time" }),
      el("label", { attrs: { for: "comment-text" }, text: "Comment" }),
      commentText,
      addComment,
      pending,
    ),
  );

  const flags = el("fieldset", {}, el("legend", { text: "Flags" }));
  for (const kind of FLAG_KINDS)
    flags.append(
      el("label", {}, el("input", { attrs: { type: "checkbox", name: "flag", value: kind } }), ` ${FLAG_LABELS[kind]}`),
    );
  flags.append(
    el("label", { attrs: { for: "flag-note" }, text: "Why (for the flags)" }),
    el("input", { attrs: { id: "flag-note", name: "flag-note", type: "text", maxlength: 2000 } }),
  );
  form.append(flags);
  form.append(
    el("label", { attrs: { for: "review-summary" }, text: "Summary" }),
    el("textarea", { attrs: { id: "review-summary", name: "summary", rows: 3, maxlength: 4000 } }),
    el("p", { className: "actions" }, el("button", { text: "Submit review", attrs: { type: "submit" } })),
    el("p", { attrs: { id: "review-result", role: "status" } }),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void guarded(() => submit(recordingId, scorecard, mine, form));
  });
  return form;
}

/**
 * @param {string} recordingId
 * @param {Scorecard} scorecard
 * @param {Review | undefined} mine
 * @param {HTMLFormElement} form
 */
async function submit(recordingId, scorecard, mine, form) {
  const data = new FormData(form);
  const entries = /** @type {[string, string][]} */ ([...data.entries()].filter(([, v]) => typeof v === "string"));
  const { answers, missing } = answersFrom(scorecard, entries);
  if (missing.length > 0) {
    complain(`Answer every question first (${missing.length} left: ${missing.join(", ")}).`);
    return;
  }
  const note = String(data.get("flag-note") ?? "");
  const body = {
    answers,
    comments: state.comments,
    flags: data.getAll("flag").map((kind) => ({ kind: String(kind), note })),
    summary: String(data.get("summary") ?? ""),
    ...(mine ? { replaces: mine.version } : {}),
  };
  const path = mine
    ? `/api/reviews/${encodeURIComponent(mine.reviewId)}/versions`
    : `/api/recordings/${encodeURIComponent(recordingId)}/reviews`;
  const answer = await json("POST", path, body);
  const text = `Review submitted (version ${answer.review.version}): ${scoreText(answer.review.score)}.`;
  await loadReviews(recordingId);
  byId("review-result").textContent = text;
  say(text);
}

// ---- reports ----

async function loadReport() {
  const form = /** @type {HTMLFormElement} */ (byId("report-filters"));
  const query = reportQuery(form);
  const answer = await json("GET", `/api/reviews/report${query ? `?${query}` : ""}`);
  /** @type {ReportRow[]} */
  const rows = answer.rows;
  byId("report-body").replaceChildren(
    ...rows.map((r) =>
      el(
        "tr",
        { className: r.agent === null ? "team-row" : "" },
        el("td", { text: r.team }),
        el("td", { text: r.week }),
        el("td", {
          text: r.agent === null ? "(whole team)" : (r.agentName ?? r.agent),
          attrs: r.agent ? { title: r.agent } : {},
        }),
        el("td", { text: r.reviews, className: "number" }),
        el("td", { text: r.meanPercent === null ? "—" : `${r.meanPercent}%`, className: "number" }),
        el("td", { text: r.passed, className: "number" }),
        el("td", { text: r.failed, className: "number" }),
        el("td", { text: r.criticalFailed, className: "number" }),
        el("td", { text: r.flagged, className: "number" }),
      ),
    ),
  );
  byId("report-caption").textContent = rows.length
    ? `Scores per week, ${answer.teams.join(", ")}`
    : "No reviews in this period";
  await drawChart(rows);
  say(rows.length ? `Report: ${rows.length} row(s).` : "No reviews in this period.");
}

/** @param {HTMLFormElement} form */
function reportQuery(form) {
  const query = new URLSearchParams();
  for (const name of ["team", "from", "to"]) {
    const value = String(new FormData(form).get(name) ?? "").trim();
    if (value) query.set(name, value);
  }
  return query.toString();
}

/** @param {ReportRow[]} rows */
async function drawChart(rows) {
  state.chart?.destroy();
  state.chart = undefined;
  const holder = byId("report-chart");
  holder.replaceChildren();
  const team = rows[0]?.team;
  if (!team) return;
  const { x, series } = reportSeries(rows.filter((r) => r.team === team));
  /** @type {{ default: new (options: object, data: unknown[], target: HTMLElement) => { destroy(): void } }} */
  const { default: UPlot } = await import(UPLOT_URL);
  const colours = ["#1b4d89", "#b45309", "#15803d", "#7e22ce", "#be123c", "#0e7490"];
  state.chart = new UPlot(
    {
      title: `Mean score per week: ${team}`,
      width: 720,
      height: 300,
      // Half a week either side, so that a single week is a point in the middle, not a span of years.
      scales: {
        x: {
          time: true,
          range: (/** @type {unknown} */ _u, /** @type {number} */ min, /** @type {number} */ max) => [
            min - 302_400,
            max + 302_400,
          ],
        },
        y: { range: [0, 100] },
      },
      axes: [{}, { label: "%" }],
      series: [
        { label: "Week" },
        ...series.map((s, i) => ({
          label: s.label,
          stroke: colours[i % colours.length],
          width: i === 0 ? 3 : 2,
          points: { show: true, size: 6 },
        })),
      ],
    },
    [x, ...series.map((s) => s.values)],
    holder,
  );
  holder.setAttribute(
    "aria-label",
    `Chart of the mean score per week of ${series.map((s) => s.label).join(", ")}; the table above has the figures.`,
  );
}

async function downloadCsv() {
  const form = /** @type {HTMLFormElement} */ (byId("report-filters"));
  const query = reportQuery(form);
  const response = await call("GET", `/api/reviews/report?${query ? `${query}&` : ""}format=csv`);
  const url = URL.createObjectURL(new Blob([await response.text()], { type: "text/csv" }));
  const link = el("a", { attrs: { href: url, download: "reviews-report.csv" } });
  document.body.append(link);
  link.click();
  link.remove();
  URL.revokeObjectURL(url);
  say("Report downloaded as CSV.");
}

// ---- wiring ----

document.addEventListener("qa:view", (event) => onView(String(/** @type {CustomEvent} */ (event).detail)));
document.addEventListener("qa:signed-in", () => {
  void guarded(async () => {
    // "My queue" first when the reviewer's team reviews with a scorecard; otherwise the recordings stay first.
    const answer = await json("GET", "/api/reviews/queue");
    state.me = answer.reviewer;
    if (answer.reviewing) showView("queue");
  });
});
document.addEventListener("qa:recording", (event) => {
  /** @typedef {{ recording: { recording: { recordingId: string } }, position: () => number, seek: (seconds: number) => Promise<void> }} Opened */
  const detail = /** @type {CustomEvent<Opened>} */ (event).detail;
  state.recording = {
    recordingId: detail.recording.recording.recordingId,
    position: detail.position,
    seek: detail.seek,
  };
  byId("review-panel").replaceChildren();
  void guarded(() => loadReviews(detail.recording.recording.recordingId));
});
byId("show-queue").addEventListener("click", () => showView("queue"));
byId("show-reports").addEventListener("click", () => showView("reports"));
byId("report-filters").addEventListener("submit", (event) => {
  event.preventDefault();
  void guarded(loadReport);
});
byId("report-csv").addEventListener("click", () => void guarded(downloadCsv));
byId("queue-refresh").addEventListener("click", () => void guarded(loadQueue));
