// The QA web page in headless Chromium against the whole stack: recordings of two teams archived through the
// simulator, listed, filtered, opened, played with seeking and verified through the page — and team A's page
// never shows (nor receives) anything of team B's.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256Hex } from "../../src/auth/tokens.js";
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
const TOKENS = { a: "qa-page-team-a-token-0123456789", b: "qa-page-team-b-token-0123456789" };

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

/** A new tab on the page; `seen` collects every URL requested and every API answer's text. */
async function openPage() {
  const page = await browser.context.newPage();
  const seen = { urls: [] as string[], answers: [] as Promise<string>[] };
  page.on("request", (request) => seen.urls.push(request.url()));
  page.on("response", (response) => {
    if (response.url().includes("/api/") && !response.url().includes("/stream"))
      seen.answers.push(response.text().catch(() => ""));
  });
  await page.goto(`${stack.webhookUrl}/qa`);
  return { page, seen };
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
    expect((await page.locator("#participants li").allInnerTexts()).sort()).toEqual([A2, OUTSIDER].sort());

    // The channel map as the API gives it, team member first (the policy's participant ordering).
    const detail = await api<Detail>(`/api/recordings/${encodeURIComponent(twoChunks.recordingId)}`, TOKENS.a);
    const rows = await cells(page, "#channels-body");
    expect(rows).toEqual(detail.channelMap.map((entry) => [String(entry.channel), entry.participantId]));
    expect(rows).toEqual([
      ["0", A2],
      ["1", OUTSIDER],
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
    const streamStatuses: number[] = [];
    const tickets: Promise<{ expiresAt: string }>[] = [];
    page.on("response", (response) => {
      if (response.url().includes("/stream")) streamStatuses.push(response.status());
      if (response.url().endsWith("/play")) tickets.push(response.json() as Promise<{ expiresAt: string }>);
    });
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
      ["chunk 0", "ok"],
      ["chunk 1", "ok"],
    ]);
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
