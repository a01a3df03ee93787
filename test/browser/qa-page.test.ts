// The QA web page in headless Chromium against the whole stack: recordings of two teams archived through the
// simulator, listed, filtered, opened, played with seeking and verified through the page — and team A's page
// never shows (nor receives) anything of team B's; the last reconciliation against ACS's call logs as a team and
// as an auditor sees it.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseWavHeader } from "../../simulator/test-support/wav-parse.js";
import { sha256Hex } from "../../src/auth/tokens.js";
import { createReconcileReports, storedOf, type ReconcileRun, type ReconciledCall } from "../../src/reconcile/index.js";
import { eventually, startStack, type Stack } from "../support/stack.js";
import { launchChromium, type RunningChromium } from "./chromium.js";

const RESOURCE = "5e1f7a2c-0d3b-4c8e-9a61-2f4b8c7d9e10";
const user = (name: string) => `8:acs:${RESOURCE}_${name}`;
const A1 = user("qa-a1");
const A2 = user("qa-a2");
const B1 = user("qa-b1");
const B2 = user("qa-b2");
const OUTSIDER = "4:+14255550123";

const policy = (team: string, members: string[]) => `version: 1
team: { id: ${team}, name: ${team} }
members: [${members.map((m) => `"${m}"`).join(", ")}]
rules:
  - id: record-all-${team}
    mode: required
    recording: { content: audio, channel: unmixed, format: wav, participantOrdering: team-first }
`;
/** Long enough (2 channels × 16 kHz × 16 bit: 64 000 bytes a second, 7.7 MB) that Chromium has not buffered the
 * end when the test seeks there, so the seek needs a ranged request. */
const LONG_SECONDS = 120;
const SEEK_TO_SECONDS = 100;
const TICKET_SECONDS = 10;
const TOKENS = {
  a: "qa-page-team-a-token-0123456789",
  b: "qa-page-team-b-token-0123456789",
  auditor: "qa-page-auditor-token-0123456789",
};

interface ListItem {
  recordingId: string;
  serverCallId: string;
  team: string;
  participants: string[];
  chunkCount: number;
  totalBytes: number;
}
interface Detail {
  channelMap: { participantId: string; channel: number | null }[];
}

let stack: Stack;
let browser: RunningChromium;
let dir: string;
/** Team A's long one-chunk call, A's two-chunk call with an outside number, and team B's call. */
let long: ListItem;
let twoChunks: ListItem;
let teamB: ListItem;

const api = async <T>(path: string, token: string, method = "GET"): Promise<T> => {
  const response = await fetch(`${stack.webhookUrl}${path}`, { method, headers: { authorization: `Bearer ${token}` } });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
};

/**
 * Places a call, ends it once its recording is active (a fixed call length would end some calls before
 * recording starts on a loaded machine: no recording at all), and waits until the recordings API lists the
 * recording (archived, manifest indexed).
 */
async function archivedCall(
  token: string,
  call: { from: string; to: string; recordingDurationMs: number; chunkMaxDurationMs?: number },
): Promise<ListItem> {
  const { serverCallId } = await stack.simulator.placeCall({ durationMs: 60_000, ...call });
  await eventually(
    () => (stack.simulator.getCall(serverCallId)?.recordings[0]?.state === "active" ? true : undefined),
    15_000,
    `the recording of the call ${call.from} → ${call.to} to be active`,
  );
  await stack.simulator.endCall(serverCallId);
  return eventually(
    async () => {
      const page = await api<{ items: ListItem[] }>(
        `/api/recordings?serverCallId=${encodeURIComponent(serverCallId)}`,
        token,
      );
      return page.items[0];
    },
    25_000,
    `the recording of the call ${call.from} → ${call.to} (${serverCallId}) to be listed`,
  );
}

beforeAll(async () => {
  browser = await launchChromium(); // first: a missing Chromium fails at once, with the command to install it
  dir = await mkdtemp(join(tmpdir(), "qa-page-"));
  await writeFile(join(dir, "team-a.yaml"), policy("team-a", [A1, A2]));
  await writeFile(join(dir, "team-b.yaml"), policy("team-b", [B1, B2]));
  await writeFile(
    join(dir, "tokens.yaml.txt"),
    `tokens:
  - { name: team-a-reviewer, role: team, team: team-a, sha256: ${sha256Hex(TOKENS.a)} }
  - { name: team-b-reviewer, role: team, team: team-b, sha256: ${sha256Hex(TOKENS.b)} }
  - { name: qa-auditor, role: auditor, sha256: ${sha256Hex(TOKENS.auditor)} }
`,
  );
  stack = await startStack({
    policyDir: dir,
    // The shortest ticket life allowed, so that one test can outlive a ticket.
    env: { API_TOKENS_FILE: join(dir, "tokens.yaml.txt"), PLAYBACK_TICKET_SECONDS: String(TICKET_SECONDS) },
  });
  [long, twoChunks, teamB] = await Promise.all([
    archivedCall(TOKENS.a, { from: A1, to: A2, recordingDurationMs: LONG_SECONDS * 1000 }),
    archivedCall(TOKENS.a, { from: A2, to: OUTSIDER, recordingDurationMs: 4_000, chunkMaxDurationMs: 2_000 }),
    archivedCall(TOKENS.b, { from: B1, to: B2, recordingDurationMs: 3_000 }),
  ]);
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A new tab on the page; `seen` collects every URL requested and every API answer's text. `init`: a script run
 * in the page before its own. */
async function openPage(init?: string) {
  const page = await browser.context.newPage();
  if (init) await page.addInitScript(init);
  const seen = { urls: [] as string[], answers: [] as Promise<string>[] };
  page.on("request", (request) => seen.urls.push(request.url()));
  page.on("response", (response) => {
    if (response.url().includes("/api/") && !response.url().includes("/stream"))
      seen.answers.push(response.text().catch(() => ""));
  });
  await page.goto(`${stack.webhookUrl}/qa`);
  return { page, seen };
}

/** Collects the status of every stream answer and every play ticket the page gets. */
function watchTickets(page: Page) {
  const streamStatuses: number[] = [];
  const tickets: Promise<{ expiresAt: string }>[] = [];
  page.on("response", (response) => {
    if (response.url().includes("/stream")) streamStatuses.push(response.status());
    if (response.url().endsWith("/play")) tickets.push(response.json() as Promise<{ expiresAt: string }>);
  });
  return { streamStatuses, tickets };
}

/** Waits until the page's last action has finished (its `<main>` is no longer busy). */
const idle = (page: Page) => page.locator('main[aria-busy="false"]').waitFor();

/** …and nothing went wrong. */
async function settled(page: Page) {
  await idle(page);
  expect(await page.locator("#problem").isHidden(), await page.locator("#problem").innerText()).toBe(true);
}

/** In-page expressions (strings: this project's TypeScript has no DOM types). */
const inPage = <T>(page: Page, expression: string) => page.evaluate<T>(expression);
const currentTime = (page: Page) => inPage<number>(page, "document.getElementById('player').currentTime");

/** The text of every cell of a table body, row by row. */
async function cells(page: Page, tbody: string): Promise<string[][]> {
  return inPage<string[][]>(
    page,
    `[...document.querySelectorAll('${tbody} tr')].map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent))`,
  );
}

async function signIn(page: Page, token: string) {
  await page.getByLabel("Team token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await settled(page);
}

const listedIds = (page: Page) =>
  inPage<string[]>(page, "[...document.querySelectorAll('#results-body tr')].map((tr) => tr.dataset.recordingId)");

const TEXT_FILTERS = [
  "From (UTC date)",
  "To (UTC date, inclusive)",
  "Participant",
  "Server call id",
  "Shortest (seconds)",
  "Longest (seconds)",
  "Team (auditors)",
];

/** Fills the filter form (every other filter emptied), searches, and answers the ids listed. */
async function search(page: Page, fields: Record<string, string>) {
  for (const label of TEXT_FILTERS) await page.getByLabel(label).fill(fields[label] ?? "");
  await page.getByLabel("Policy outcome").selectOption(fields["Policy outcome"] ?? "");
  await page.getByRole("button", { name: "Search" }).click();
  await settled(page);
  return listedIds(page);
}

async function openRecording(page: Page, item: ListItem) {
  await page.locator(`#results-body tr[data-recording-id="${item.recordingId}"] button`).click();
  await settled(page);
  await expect.poll(() => page.locator("#detail").isVisible()).toBe(true);
}

describe("the QA web page in Chromium", () => {
  it("lists the signed-in team's recordings, in the API's order (newest first), and never another team's", async () => {
    const { page, seen } = await openPage();
    await signIn(page, TOKENS.a);
    const listed = await api<{ items: ListItem[] }>("/api/recordings", TOKENS.a);
    expect(listed.items.map((item) => item.recordingId).sort()).toEqual(
      [long.recordingId, twoChunks.recordingId].sort(),
    );
    expect(await listedIds(page)).toEqual(listed.items.map((item) => item.recordingId));

    // Asking for team B's call or team by name finds nothing either.
    expect(await search(page, { "Server call id": teamB.serverCallId })).toEqual([]);
    expect(await page.locator("#status").innerText()).toBe("No recordings match these filters.");
    expect(await search(page, { "Team (auditors)": "team-b" })).toEqual([]);
    expect(await search(page, { Participant: B1 })).toEqual([]);

    // Nothing of team B anywhere: not in the page, not in any answer the browser received.
    const html = await page.content();
    const answers = (await Promise.all(seen.answers)).join("\n");
    for (const secret of [teamB.recordingId, teamB.serverCallId, B1, B2, "team-b-reviewer"]) {
      expect(html).not.toContain(secret);
      expect(answers).not.toContain(secret);
    }
    expect(answers).toContain(long.recordingId);

    // The token lives in this tab's sessionStorage only, and never in a URL.
    expect(seen.urls.some((url) => url.includes(TOKENS.a))).toBe(false);
    const storage = await inPage(
      page,
      "({ session: Object.values(sessionStorage), local: localStorage.length, cookies: document.cookie })",
    );
    expect(storage).toEqual({ session: [TOKENS.a], local: 0, cookies: "" });
    await page.close();
  });

  it("shows team B its own recording only", async () => {
    const { page } = await openPage();
    await signIn(page, TOKENS.b);
    expect(await listedIds(page)).toEqual([teamB.recordingId]);
    expect(await page.content()).not.toContain(long.serverCallId);
    await page.close();
  });

  it("filters by participant, duration, call and outcome", async () => {
    const { page } = await openPage();
    await signIn(page, TOKENS.a);
    expect(await search(page, { Participant: "+14255550123" })).toEqual([twoChunks.recordingId]);
    expect(await search(page, { "Shortest (seconds)": "10" })).toEqual([long.recordingId]);
    expect(await search(page, { "Longest (seconds)": "10" })).toEqual([twoChunks.recordingId]);
    expect(await search(page, { "Server call id": long.serverCallId })).toEqual([long.recordingId]);
    expect(await search(page, { "Policy outcome": "best-effort" })).toEqual([]);
    const today = new Date().toISOString().slice(0, 10);
    expect((await search(page, { "From (UTC date)": today, "Policy outcome": "required" })).length).toBe(2);
    expect(await search(page, { "To (UTC date, inclusive)": "2000-01-01" })).toEqual([]);
    await page.close();
  });

  it("shows a recording's participants, channel map, policy outcome and chunks", async () => {
    const { page } = await openPage();
    await signIn(page, TOKENS.a);
    await openRecording(page, twoChunks);
    const facts = await page.locator("#facts").innerText();
    expect(facts).toContain(twoChunks.serverCallId);
    expect(facts).toMatch(/Policy outcome\s+required/);
    expect(facts).toMatch(/Policy rule\s+record-all-team-a/);
    expect(facts).toMatch(/Manifest\s+intact/);
    // Not stopped on purpose: it ran until the call ended (a stop shows who or what stopped it, when and why).
    expect(facts).toMatch(/Stopped\s+no \(ran until the call or its recording ended\)/);
    // No directory for team-a: each participant by its id (shortened; the whole id on the item and its copy button).
    const ids = await inPage<string[]>(
      page,
      "[...document.querySelectorAll('#participants li')].map((li) => li.dataset.id)",
    );
    expect(ids.sort()).toEqual([A2, OUTSIDER].sort());
    expect(await page.locator("#participants li").first().innerText()).toContain("(not in the directory)");

    // The channel map as the API gives it, team member first (the policy's participant ordering).
    const detail = await api<Detail>(`/api/recordings/${encodeURIComponent(twoChunks.recordingId)}`, TOKENS.a);
    const rows = await cells(page, "#channels-body");
    const titles = await inPage<string[]>(
      page,
      "[...document.querySelectorAll('#channels-body td:nth-child(2)')].map((td) => td.title)",
    );
    expect(rows.map(([channel], i) => [channel, titles[i]])).toEqual(
      detail.channelMap.map((entry) => [String(entry.channel), entry.participantId]),
    );
    expect(rows).toEqual([
      ["0", `8:acs:…${A2.slice(-12)}`],
      ["1", "+14255550123"],
    ]);
    expect(await page.locator("#chunks-body tr").count()).toBe(2);
    await page.close();
  });

  it("plays a chunk and seeks in it: the stream is fetched by ranges with a ticket, not the token", async () => {
    const { page, seen } = await openPage();
    const streamed: { status: number; range: string | undefined; contentRange: string | null }[] = [];
    page.on("response", async (response) => {
      if (!response.url().includes("/stream")) return;
      const headers = await response.request().allHeaders();
      streamed.push({
        status: response.status(),
        range: headers.range,
        contentRange: response.headers()["content-range"] ?? null,
      });
    });
    await signIn(page, TOKENS.a);
    await openRecording(page, long);
    await page.getByRole("button", { name: "Play chunk 0" }).click();
    await settled(page);

    // It plays: currentTime advances.
    await expect.poll(() => currentTime(page), { timeout: 10_000 }).toBeGreaterThan(0.5);
    const before = await currentTime(page);
    await expect.poll(() => currentTime(page), { timeout: 10_000 }).toBeGreaterThan(before + 0.3);
    const duration = await inPage<number>(page, "document.getElementById('player').duration");
    expect(duration).toBeCloseTo(LONG_SECONDS, 0);

    // Seek far ahead: it plays on from there…
    await inPage(page, `document.getElementById('player').currentTime = ${SEEK_TO_SECONDS}`);
    await expect.poll(() => currentTime(page), { timeout: 10_000 }).toBeGreaterThan(SEEK_TO_SECONDS + 0.3);
    expect(await inPage<boolean>(page, "document.getElementById('player').paused")).toBe(false);

    // …because Chromium fetched that part with a Range request, answered 206 from that offset.
    const startOf = (contentRange: string | null) =>
      Number(/^bytes (\d+)-\d+\/\d+$/.exec(contentRange ?? "")?.[1] ?? -1);
    const seekOffset = (SEEK_TO_SECONDS / LONG_SECONDS) * long.totalBytes;
    const ranged = streamed.filter(
      (r) => r.status === 206 && r.range?.startsWith("bytes=") && startOf(r.contentRange) > 0,
    );
    expect(
      ranged.some((r) => Math.abs(startOf(r.contentRange) - seekOffset) < 0.05 * long.totalBytes),
      JSON.stringify(streamed),
    ).toBe(true);
    // The stream URL carries a ticket, never the token.
    const streamUrls = seen.urls.filter((url) => url.includes("/stream"));
    expect(streamUrls.every((url) => url.includes("ticket=") && !url.includes(TOKENS.a))).toBe(true);
    await page.close();
  });

  it("renews a ticket that expired while paused, and carries on at the same position", async () => {
    const { page } = await openPage();
    const { streamStatuses, tickets } = watchTickets(page);
    await signIn(page, TOKENS.a);
    await openRecording(page, long);
    await page.getByRole("button", { name: "Play chunk 0" }).click();
    await settled(page);
    await expect.poll(() => currentTime(page), { timeout: 10_000 }).toBeGreaterThan(0.3);
    await inPage(page, "document.getElementById('player').pause()");

    // Past the ticket's expiry, seek where the browser holds nothing yet: that request is refused (401)…
    const expiresAt = Date.parse((await tickets[0]!).expiresAt);
    expect(expiresAt - Date.now()).toBeLessThanOrEqual(TICKET_SECONDS * 1000);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, expiresAt - Date.now()) + 500));
    await inPage(page, `document.getElementById('player').currentTime = ${SEEK_TO_SECONDS}`);

    // …so the page gets a new ticket and stays at that position, paused as it was.
    await expect.poll(() => tickets.length, { timeout: 10_000 }).toBe(2);
    await expect.poll(() => inPage<number>(page, "document.getElementById('player').readyState")).toBeGreaterThan(1);
    expect(await currentTime(page)).toBeCloseTo(SEEK_TO_SECONDS, 0);
    expect(await inPage<boolean>(page, "document.getElementById('player').paused")).toBe(true);
    expect(streamStatuses).toContain(401);
    expect(streamStatuses.at(-1)).toBe(206);
    expect(await page.locator("#problem").isHidden()).toBe(true);

    await inPage(page, "document.getElementById('player').play()");
    await expect.poll(() => currentTime(page), { timeout: 10_000 }).toBeGreaterThan(SEEK_TO_SECONDS + 0.3);
    await page.close();
  });

  it("plays the chunks one after the other", async () => {
    const { page } = await openPage();
    await signIn(page, TOKENS.a);
    await openRecording(page, twoChunks);
    await page.getByRole("button", { name: "Play chunk 0" }).click();
    await settled(page);
    expect(await page.locator("#now-playing").innerText()).toMatch(/^Chunk 0 of 2/);
    await expect.poll(() => page.locator("#now-playing").innerText(), { timeout: 10_000 }).toMatch(/^Chunk 1 of 2/);
    await expect.poll(() => currentTime(page), { timeout: 10_000 }).toBeGreaterThan(0.2);
    await page.close();
  });

  it("verifies a recording: the manifest and every chunk match", async () => {
    const { page } = await openPage();
    await signIn(page, TOKENS.a);
    await openRecording(page, twoChunks);
    await page.getByRole("button", { name: "Verify" }).click();
    await settled(page);
    const summary = page.locator("#verify-summary");
    expect(await summary.innerText()).toMatch(/^Verified .* the manifest and all 2 chunk\(s\) match/);
    expect(await summary.getAttribute("class")).toBe("ok");
    const results = (await cells(page, "#verify-body")).map((row) => row.slice(0, 2));
    expect(results).toEqual([
      ["manifest", "ok"],
      ["signature", "ok"],
      ["chunk 0", "ok"],
      ["chunk 1", "ok"],
    ]);
    // The signature row says which key signed the manifest (docs/evidence.md "Signed manifests").
    expect((await cells(page, "#verify-body"))[1]?.[2]).toMatch(/^signed by key [0-9a-f]+.*, intact$/);
    await page.close();
  });

  it("signs out (the token is gone) and refuses an unknown token", async () => {
    const { page } = await openPage();
    await signIn(page, TOKENS.a);
    await page.getByRole("button", { name: "Sign out" }).click();
    expect(await inPage(page, "sessionStorage.length")).toBe(0);
    expect(await page.locator("#sign-in").isVisible()).toBe(true);
    expect(await page.locator("#results-body tr").count()).toBe(0);

    await page.getByLabel("Team token").fill("not-a-token");
    await page.getByRole("button", { name: "Sign in" }).click();
    await idle(page);
    expect(await page.locator("#status").innerText()).toBe("The server refused the token. Sign in again.");
    expect(await page.locator("#sign-in").isVisible()).toBe(true);
    expect(await inPage(page, "sessionStorage.length")).toBe(0);
    await page.close();
  });
});

// ---- listening per speaker ----

/**
 * What the page sends to the speakers, observed without its cooperation: run before the page's own scripts, it
 * wraps `AudioNode.connect`/`disconnect` so that whatever is connected to an AudioContext's destination is also
 * connected to a tap mixed exactly like the destination (its channel count, speaker down-mix), then split into
 * a left and a right AnalyserNode. `window.__outputTap` exists once the page has connected anything.
 */
const OUTPUT_TAP = `(() => {
  const connect = AudioNode.prototype.connect;
  const disconnect = AudioNode.prototype.disconnect;
  const taps = new Map();
  const tapOf = (destination) => {
    let tap = taps.get(destination);
    if (tap) return tap;
    const context = destination.context;
    const input = context.createGain();
    input.channelCount = destination.channelCount;
    input.channelCountMode = "explicit";
    input.channelInterpretation = "speakers";
    const ears = context.createChannelSplitter(2);
    const left = context.createAnalyser();
    const right = context.createAnalyser();
    for (const analyser of [left, right]) {
      analyser.fftSize = 4096;
      analyser.smoothingTimeConstant = 0;
    }
    connect.call(input, ears);
    connect.call(ears, left, 0);
    connect.call(ears, right, 1);
    tap = { input, left, right, sampleRate: context.sampleRate };
    taps.set(destination, tap);
    window.__outputTap = tap;
    return tap;
  };
  AudioNode.prototype.connect = function (target, ...rest) {
    const result = connect.call(this, target, ...rest);
    if (target instanceof AudioDestinationNode) connect.call(this, tapOf(target).input, ...rest);
    return result;
  };
  AudioNode.prototype.disconnect = function (...args) {
    const result = disconnect.apply(this, args);
    if (args[0] instanceof AudioDestinationNode) disconnect.call(this, tapOf(args[0]).input, ...args.slice(1));
    return result;
  };
})();`;

/** One look at both ears: level (RMS, full scale 1) and the strongest frequency. */
interface Ears {
  left: { rms: number; hz: number };
  right: { rms: number; hz: number };
}

/** Looks at the output every 40 ms for `ms` (null when nothing was ever connected to the speakers). */
const listen = (page: Page, ms: number) =>
  inPage<Ears[] | null>(
    page,
    `(async () => {
      const tap = window.__outputTap;
      if (!tap) return null;
      const look = (analyser) => {
        const wave = new Float32Array(analyser.fftSize);
        analyser.getFloatTimeDomainData(wave);
        const spectrum = new Float32Array(analyser.frequencyBinCount);
        analyser.getFloatFrequencyData(spectrum);
        let peak = 0;
        for (let i = 1; i < spectrum.length; i++) if (spectrum[i] > spectrum[peak]) peak = i;
        const rms = Math.sqrt(wave.reduce((sum, v) => sum + v * v, 0) / wave.length);
        return { rms, hz: (peak * tap.sampleRate) / analyser.fftSize };
      };
      const looks = [];
      for (const end = performance.now() + ${ms}; performance.now() < end; ) {
        looks.push({ left: look(tap.left), right: look(tap.right) });
        await new Promise((resolve) => setTimeout(resolve, 40));
      }
      return looks;
    })()`,
  );

/** Levels: the simulator's tones are at 0.3 of full scale (RMS ≈ 0.21). */
const LOUD = 0.05;
const HZ_TOLERANCE = 25;
/** A full turn of a two-party conversation (two 0.5 s turns and 0.5 s of silence), and some. */
const LISTEN_MS = 2_200;

/** The strongest frequencies heard loud in one ear, rounded to 10 Hz, with how often: e.g. { 400: 9 }. */
function heard(looks: Ears[], ear: "left" | "right"): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const look of looks)
    if (look[ear].rms > LOUD) {
      const hz = Math.round(look[ear].hz / 10) * 10;
      counts[hz] = (counts[hz] ?? 0) + 1;
    }
  return counts;
}

/** Every loud look of that ear is at `hz`, and there were at least three of them. */
function expectOnly(looks: Ears[], ear: "left" | "right", hz: number) {
  const counts = heard(looks, ear);
  const near = (f: string) => Math.abs(Number(f) - hz) <= HZ_TOLERANCE;
  const message = `${ear} ear: heard ${JSON.stringify(counts)} (Hz: looks), expected only ${hz} Hz`;
  expect(
    Object.keys(counts).filter((f) => !near(f)),
    message,
  ).toEqual([]);
  const loudAtHz = Object.entries(counts).reduce((sum, [f, n]) => sum + (near(f) ? n : 0), 0);
  expect(loudAtHz, message).toBeGreaterThanOrEqual(3);
}

/** The left ear hears only `leftHz`, the right only `rightHz`, each at least three times. */
function expectEars(looks: Ears[], leftHz: number, rightHz: number) {
  expectOnly(looks, "left", leftHz);
  expectOnly(looks, "right", rightHz);
}

/**
 * The frequency of each channel of a chunk as archived, measured here from its bytes (not taken from the
 * simulator's code): the strongest of 50–2000 Hz (5 Hz steps, Goertzel) over the chunk's first 128 000 bytes
 * of audio (2 s of two 16 kHz 16-bit channels).
 */
async function channelFrequencies(item: ListItem, chunk: number): Promise<number[]> {
  const response = await fetch(
    `${stack.webhookUrl}/api/recordings/${encodeURIComponent(item.recordingId)}/chunks/${chunk}/stream`,
    { headers: { authorization: `Bearer ${TOKENS.a}`, range: `bytes=0-${44 + 128_000 - 1}` } },
  );
  expect(response.status).toBe(206);
  const bytes = Buffer.from(await response.arrayBuffer());
  const wav = parseWavHeader(bytes);
  const frames = Math.floor((bytes.length - 44) / wav.blockAlign);
  return Array.from({ length: wav.channels }, (_, channel) => {
    const sample = (frame: number) => bytes.readInt16LE(44 + frame * wav.blockAlign + channel * 2);
    let best = { hz: 0, power: 0 };
    for (let hz = 50; hz <= 2000; hz += 5) {
      const coefficient = 2 * Math.cos((2 * Math.PI * hz) / wav.sampleRate);
      let [s1, s2] = [0, 0];
      for (let frame = 0; frame < frames; frame++) [s1, s2] = [sample(frame) + coefficient * s1 - s2, s1];
      const power = s1 * s1 + s2 * s2 - coefficient * s1 * s2;
      if (power > best.power) best = { hz, power };
    }
    expect(best.power, `channel ${channel} of chunk ${chunk} is silent`).toBeGreaterThan(0);
    return best.hz;
  });
}

/** Looks at the output for `ms`: there must be something connected to the speakers to look at. */
async function hear(page: Page, ms = LISTEN_MS): Promise<Ears[]> {
  const looks = await listen(page, ms);
  expect(looks, "nothing is connected to the speakers through Web Audio").not.toBeNull();
  return looks!;
}

/** Chooses whom to listen to, by the radio button's name, and waits for the page to route it. */
async function listenTo(page: Page, name: string) {
  await page.getByRole("radio", { name, exact: true }).check();
  await settled(page);
  await new Promise((resolve) => setTimeout(resolve, 250)); // gains glide; the analysers hold 85 ms
}

describe("listening per speaker in Chromium", () => {
  it("routes the chosen speaker's channel alone to both ears, and all speakers back to the player's mix", async () => {
    // Channel 0 and channel 1 of the archived WAV must sound different, or this test could not tell them apart.
    const [f0, f1] = (await channelFrequencies(long, 0)) as [number, number];
    expect(Math.abs(f0 - f1), `channel frequencies ${f0} and ${f1} Hz`).toBeGreaterThanOrEqual(60);

    const { page } = await openPage(OUTPUT_TAP);
    const { streamStatuses, tickets } = watchTickets(page);
    await signIn(page, TOKENS.a);
    await openRecording(page, long);

    // The choices are the API's channel map, by channel, after "All speakers" (checked).
    const detail = await api<Detail>(`/api/recordings/${encodeURIComponent(long.recordingId)}`, TOKENS.a);
    const byChannel = [...detail.channelMap].sort((a, b) => a.channel! - b.channel!);
    expect(byChannel.map((entry) => [entry.participantId, entry.channel])).toEqual([
      [A1, 0],
      [A2, 1],
    ]);
    const group = page.getByRole("group", { name: "Listen to" });
    expect(await group.isVisible()).toBe(true);
    expect(
      await group.getByRole("radio").evaluateAll((inputs) => inputs.map((input) => input.labels?.[0]?.textContent)),
    ).toEqual(["All speakers", ...byChannel.map((entry) => `${entry.participantId} (channel ${entry.channel})`)]);
    expect(await group.getByRole("radio", { name: "All speakers" }).isChecked()).toBe(true);

    await page.getByRole("button", { name: "Play chunk 0" }).click();
    await settled(page);
    await expect.poll(() => currentTime(page), { timeout: 10_000 }).toBeGreaterThan(0.3);
    // Until a speaker is chosen the element plays by itself: nothing goes through Web Audio.
    expect(await listen(page, 100)).toBeNull();

    await listenTo(page, `${A1} (channel 0)`);
    expect(await page.locator("#status").innerText()).toBe("Listening to channel 0 only, in both ears.");
    expectEars(await hear(page), f0, f0);

    // All speakers: a two-channel WAV as the player plays it, channel 0 on the left, channel 1 on the right.
    await listenTo(page, "All speakers");
    expectEars(await hear(page), f0, f1);

    await listenTo(page, `${A2} (channel 1)`);
    expectEars(await hear(page), f1, f1);

    // Playing past the ticket's expiry, a seek far ahead: refused (401), the page renews the ticket and plays on
    // from there by itself — still channel 1 alone.
    const expiresAt = Date.parse((await tickets[0]!).expiresAt);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, expiresAt - Date.now()) + 500));
    await inPage(page, `document.getElementById('player').currentTime = ${SEEK_TO_SECONDS}`);
    await expect.poll(() => currentTime(page), { timeout: 10_000 }).toBeGreaterThan(SEEK_TO_SECONDS + 0.3);
    expect(tickets.length).toBe(2);
    expect(streamStatuses).toContain(401);
    expectEars(await hear(page), f1, f1);
    expect(await inPage<boolean>(page, "document.getElementById('player').paused")).toBe(false);
    expect(await page.locator("#problem").isHidden()).toBe(true);
    await page.close();
  });

  it("keeps the chosen speaker from one chunk to the next", async () => {
    const [, f1] = (await channelFrequencies(twoChunks, 1)) as [number, number];
    const { page } = await openPage(OUTPUT_TAP);
    await signIn(page, TOKENS.a);
    await openRecording(page, twoChunks);
    await listenTo(page, `${OUTSIDER} (channel 1)`);
    await page.getByRole("button", { name: "Play chunk 0" }).click();
    await settled(page);
    await expect.poll(() => page.locator("#now-playing").innerText(), { timeout: 10_000 }).toMatch(/^Chunk 1 of 2/);
    await expect.poll(() => currentTime(page), { timeout: 10_000 }).toBeGreaterThan(0.05);
    // Chunk 1 lasts 2 s: a whole turn of the conversation.
    expectEars(await hear(page, 1_900), f1, f1);
    await page.close();
  });
});

// ---- reconciliation ----

/** A reconciled call as the scheduled job keeps it (src/reconcile/classify.ts), with what the test needs. */
const reconciled = (correlationId: string, fields: Partial<ReconciledCall>): ReconciledCall => ({
  correlationId,
  status: "verified",
  teams: ["team-a"],
  startedAt: "2026-11-23T09:00:00.000Z",
  durationSeconds: 90,
  serverCallIds: [],
  detail: "1 recording(s) complete",
  recordings: [],
  ...fields,
});
/** A run of the scheduled job: two alerting calls of team A, one of team B, one call of both, one fine each. */
const RECONCILED = [
  reconciled("corr-a-never-seen", {
    status: "never-seen",
    startedAt: "2026-11-23T08:10:00.000Z",
    detail: "no ledger entry carries this correlationId",
    recordings: [
      { recordingId: "rec-a-lost", acs: { chunkCount: 1, lengthSeconds: 80 }, problem: "not archived by us" },
    ],
  }),
  reconciled("corr-a-incomplete", {
    status: "incomplete",
    startedAt: "2026-11-23T08:20:00.000Z",
    serverCallIds: ["server-call-a-incomplete"],
    detail: "rec-a-short: 1 of 2 chunks archived",
    recordings: [
      {
        recordingId: "rec-a-short",
        acs: { chunkCount: 2, lengthSeconds: 125 },
        ours: { chunkCount: 1, durationSeconds: 62 },
        problem: "1 of 2 chunks archived",
      },
    ],
  }),
  reconciled("corr-both-enforced", {
    status: "enforced",
    teams: ["team-a", "team-b"],
    startedAt: "2026-11-23T08:30:00.000Z",
    serverCallIds: ["server-call-both"],
    detail: "hang-up (scope): recording could not start",
  }),
  reconciled("corr-b-never-seen", {
    status: "never-seen",
    teams: ["team-b"],
    startedAt: "2026-11-23T08:40:00.000Z",
    detail: "no ledger entry carries this correlationId",
  }),
  reconciled("corr-a-verified", { startedAt: "2026-11-23T08:50:00.000Z", serverCallIds: ["server-call-a-ok"] }),
  reconciled("corr-b-exempt", {
    status: "exempt",
    teams: ["team-b"],
    startedAt: "2026-11-23T08:55:00.000Z",
    detail: "exempt: internal call",
  }),
];

/** Keeps a run as the scheduled job does, through the same store the API reads. */
async function saveReconciliation(calls: ReconciledCall[]) {
  const counts = { verified: 0, exempt: 0, enforced: 0, incomplete: 0, "never-seen": 0 };
  for (const call of calls) counts[call.status]++;
  const run: ReconcileRun = {
    window: { from: "2026-11-22T09:00:00.000Z", to: "2026-11-23T09:00:00.000Z" },
    calls,
    counts,
    outOfScope: 0,
    problems: [],
    reads: 24,
    alerting: true,
  };
  await createReconcileReports(stack.runtime.redis, stack.config.REDIS_PREFIX).save(
    storedOf(run, new Date("2026-11-23T10:00:05.000Z")),
  );
}

/** Opens the Reconciliation view from the keyboard (its tab button focused, Enter) and waits for its answer. */
async function openReconciliation(page: Page) {
  await page.getByRole("button", { name: "Reconciliation", exact: true }).focus();
  await page.keyboard.press("Enter");
  await settled(page);
  expect(await page.locator("#reconciliation").isVisible()).toBe(true);
  expect(await page.getByRole("heading", { name: "Reconciliation against ACS's call logs" }).isVisible()).toBe(true);
}

/** The counts table as [status, count] and the listed calls as [status, team, correlationId, started]. */
async function reconciliationShown(page: Page) {
  const counts = await inPage<string[][]>(
    page,
    `[...document.querySelectorAll('#reconcile-counts-body tr')].map((tr) => [tr.querySelector('th').textContent, tr.querySelector('td').textContent])`,
  );
  const calls = (await cells(page, "#reconcile-calls-body")).map((row) => row.slice(0, 4));
  const alerts = await inPage<string[]>(
    page,
    "[...document.querySelectorAll('#reconcile-calls-body tr.alert')].map((tr) => tr.dataset.status)",
  );
  return { counts, calls, alerts };
}

describe("the reconciliation view in Chromium", () => {
  it("explains that no reconciliation has run yet, and what to configure", async () => {
    const { page } = await openPage();
    await signIn(page, TOKENS.a);
    await openReconciliation(page);
    const none = page.locator("#reconcile-none");
    expect(await none.isVisible()).toBe(true);
    expect(await none.innerText()).toMatch(/^No reconciliation has run yet\..*RECONCILE_EVERY_SECONDS/);
    expect(await page.locator("#reconcile-report").isHidden()).toBe(true);
    await page.close();
  });

  it("shows a team its own counts and calls not verified, the incomplete and never-seen ones as alerts", async () => {
    await saveReconciliation(RECONCILED);
    const { page, seen } = await openPage();
    await signIn(page, TOKENS.a);
    await openReconciliation(page);
    expect(await page.locator("#reconcile-none").isHidden()).toBe(true);
    expect(await page.locator("#reconcile-summary").innerText()).toBe(
      "Run finished 2026-11-23 10:00:05 UTC, covering calls that started from 2026-11-22 09:00:00 to 2026-11-23 09:00:00 UTC: 4 call(s) with a team member.",
    );
    const shown = await reconciliationShown(page);
    expect(shown.counts).toEqual([
      ["verified", "1"],
      ["exempt by a rule", "0"],
      ["refused or ended by enforcement", "1"],
      ["recording incomplete (alert)", "1"],
      ["never seen by us (alert)", "1"],
    ]);
    expect(shown.calls).toEqual([
      ["never seen by us (alert)", "team-a", "corr-a-never-seen", "2026-11-23 08:10:00"],
      ["recording incomplete (alert)", "team-a", "corr-a-incomplete", "2026-11-23 08:20:00"],
      // A call of both teams: team A sees it as its own, and not that team B was on it.
      ["refused or ended by enforcement", "team-a", "corr-both-enforced", "2026-11-23 08:30:00"],
    ]);
    expect(shown.alerts).toEqual(["never-seen", "incomplete"]);
    expect(await page.locator("#reconcile-alert").innerText()).toBe(
      "2 call(s) need a person: 1 recording incomplete, 1 never seen by us.",
    );
    const incomplete = await page.locator('#reconcile-calls-body tr[data-status="incomplete"]').innerText();
    expect(incomplete).toContain("server-call-a-incomplete");
    expect(incomplete).toContain("rec-a-short: 1 of 2 chunks archived");
    expect(incomplete).toContain("recording rec-a-short: ACS: 2 chunk(s), 2:05; ours: 1 chunk(s), 1:02");
    expect(await page.locator('#reconcile-calls-body tr[data-status="never-seen"]').innerText()).toContain(
      "recording rec-a-lost: ACS: 1 chunk(s), 1:20; ours: none — not archived by us",
    );
    // No team to choose, and nothing of team B in the page or in what the browser received.
    expect(await page.locator("#reconcile-team-field").isHidden()).toBe(true);
    const html = await page.content();
    const answers = (await Promise.all(seen.answers)).join("\n");
    for (const secret of ["corr-b-never-seen", "corr-b-exempt", "team-b"]) {
      expect(html).not.toContain(secret);
      expect(answers).not.toContain(secret);
    }
    await page.close();
  });

  it("shows an auditor every team, or the team chosen", async () => {
    const { page } = await openPage();
    await signIn(page, TOKENS.auditor);
    await openReconciliation(page);
    const all = await reconciliationShown(page);
    expect(all.counts.map(([, count]) => count)).toEqual(["1", "1", "1", "1", "2"]);
    expect(all.calls.map((row) => [row[1], row[2]])).toEqual([
      ["team-a", "corr-a-never-seen"],
      ["team-a", "corr-a-incomplete"],
      ["team-a, team-b", "corr-both-enforced"],
      ["team-b", "corr-b-never-seen"],
      ["team-b", "corr-b-exempt"],
    ]);
    expect(all.alerts).toEqual(["never-seen", "incomplete", "never-seen"]);

    const team = page.getByLabel("Team", { exact: true });
    expect(await team.locator("option").allInnerTexts()).toEqual(["All teams", "team-a", "team-b"]);
    await team.selectOption("team-b");
    await page.getByRole("button", { name: "Show", exact: true }).click();
    await settled(page);
    const teamB = await reconciliationShown(page);
    expect(teamB.counts.map(([, count]) => count)).toEqual(["0", "1", "1", "0", "1"]);
    expect(teamB.calls.map((row) => [row[1], row[2]])).toEqual([
      ["team-b", "corr-both-enforced"],
      ["team-b", "corr-b-never-seen"],
      ["team-b", "corr-b-exempt"],
    ]);
    expect(teamB.alerts).toEqual(["never-seen"]);
    // …and back to every team.
    await team.selectOption("");
    await page.getByRole("button", { name: "Show", exact: true }).click();
    await settled(page);
    expect((await reconciliationShown(page)).calls).toHaveLength(5);
    await page.close();
  });
});
