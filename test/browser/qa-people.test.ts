// The reviewer's workspace in headless Chromium against the whole stack (issue 19): a reviewer finds a call by a
// person's name or number, plays it, jumps from a timeline pause to the audio, seeks on a speaker's waveform; a
// newer search never shows an older one's answer; another team sees none of it; axe-core finds no serious
// accessibility violation; a screenshot of each view is written to test/browser/screenshots/ (git-ignored).
import { createRequire } from "node:module";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256Hex } from "../../src/auth/tokens.js";
import { eventually, startStack, type Stack } from "../support/stack.js";
import { launchChromium, type RunningChromium } from "./chromium.js";

const RESOURCE = "5e1f7a2c-0d3b-4c8e-9a61-2f4b8c7d9e10";
const user = (name: string) => `8:acs:${RESOURCE}_${name}`;
const AGENT = user("qp-agent");
const SUPERVISOR = user("qp-supervisor");
const DESK1 = user("qp-desk1");
const DESK2 = user("qp-desk2");
const CUSTOMER = "+14155550100";
const SCREENSHOTS = "test/browser/screenshots";

const policy = (team: string, members: string[]) => `version: 1
team: { id: ${team}, name: ${team} }
members: [${members.map((m) => `"${m}"`).join(", ")}]
rules:
  - id: record-all-${team}
    mode: required
    recording: { content: audio, channel: unmixed, format: wav, participantOrdering: team-first }
    pause: { allowed: true, autoResumeSeconds: 60 }
`;
const directories = {
  "qp-support.directory.yaml": `version: 1
team: qp-support
country: GB
people:
  - { id: "${AGENT}", displayName: Alice Smith, role: agent, location: GB-ENG }
  - { id: "${SUPERVISOR}", displayName: Bob Okafor, role: supervisor, location: GB }
  - { id: "${CUSTOMER}", displayName: Dana Whitfield, role: customer, location: US-CA }
`,
  "qp-desk.directory.yaml": `version: 1
team: qp-desk
country: GB
people:
  - { id: "${DESK1}", displayName: Erin Walsh, role: agent }
  - { id: "${DESK2}", displayName: Frank Lee, role: agent }
`,
};
const TOKENS = { support: "qa-people-support-token-0123456789", desk: "qa-people-desk-token-0123456789" };

interface ListItem {
  recordingId: string;
  serverCallId: string;
}

let stack: Stack;
let browser: RunningChromium;
let dir: string;
let supportCall: ListItem;
let deskCall: ListItem;

const api = async (path: string, token: string, init: RequestInit = {}) =>
  fetch(`${stack.webhookUrl}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...init.headers },
  });

const recordingState = (serverCallId: string) => stack.simulator.getCall(serverCallId)?.recordings[0]?.state;

async function listed(serverCallId: string, token: string): Promise<ListItem> {
  return eventually(
    async () => {
      const response = await api(`/api/recordings?serverCallId=${encodeURIComponent(serverCallId)}`, token);
      return ((await response.json()) as { items: ListItem[] }).items[0];
    },
    30_000,
    `the recording of ${serverCallId} to be listed`,
  );
}

/** A support call with the customer, paused on the agent's request (card details) for a second and resumed. */
async function pausedCall(): Promise<ListItem> {
  const { serverCallId } = await stack.simulator.placeCall({ from: AGENT, to: `4:${CUSTOMER}`, durationMs: 60_000 });
  await eventually(() => (recordingState(serverCallId) === "active" ? true : undefined), 15_000, "recording active");
  await eventually(
    async () => ((await stack.runtime.sessions.get(serverCallId)).recordingId ? true : undefined),
    5_000,
    "the session's recording",
  );
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const call = `/api/calls/${encodeURIComponent(serverCallId)}/recording`;
  const pause = await api(`${call}:pause`, TOKENS.support, { method: "POST", body: '{"reason":"card-capture"}' });
  expect(pause.status).toBe(202);
  await eventually(() => (recordingState(serverCallId) === "inactive" ? true : undefined), 10_000, "the pause");
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  const resume = await api(`${call}:resume`, TOKENS.support, { method: "POST", body: '{"reason":"card-captured"}' });
  expect(resume.status).toBe(202);
  await eventually(() => (recordingState(serverCallId) === "active" ? true : undefined), 10_000, "the resume");
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  await stack.simulator.endCall(serverCallId);
  return listed(serverCallId, TOKENS.support);
}

async function plainCall(): Promise<ListItem> {
  const { serverCallId } = await stack.simulator.placeCall({ from: DESK1, to: DESK2, durationMs: 60_000 });
  await eventually(() => (recordingState(serverCallId) === "active" ? true : undefined), 15_000, "recording active");
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  await stack.simulator.endCall(serverCallId);
  return listed(serverCallId, TOKENS.desk);
}

beforeAll(async () => {
  browser = await launchChromium();
  dir = await mkdtemp(join(tmpdir(), "qa-people-"));
  await writeFile(join(dir, "qp-support.yaml"), policy("qp-support", [AGENT, SUPERVISOR]));
  await writeFile(join(dir, "qp-desk.yaml"), policy("qp-desk", [DESK1, DESK2]));
  for (const [name, text] of Object.entries(directories)) await writeFile(join(dir, name), text);
  await writeFile(
    join(dir, "tokens.yaml.txt"),
    `tokens:
  - { name: support-reviewer, role: team, team: qp-support, sha256: ${sha256Hex(TOKENS.support)} }
  - { name: desk-reviewer, role: team, team: qp-desk, sha256: ${sha256Hex(TOKENS.desk)} }
`,
  );
  stack = await startStack({ policyDir: dir, env: { API_TOKENS_FILE: join(dir, "tokens.yaml.txt") } });
  [supportCall, deskCall] = await Promise.all([pausedCall(), plainCall()]);
  // A chunk's peaks come from the chunk-peaks job the ingest queues last, after the manifest that lists the recording.
  await eventually(
    async () => {
      const peaks = await api(
        `/api/recordings/${encodeURIComponent(supportCall.recordingId)}/chunks/0/peaks`,
        TOKENS.support,
      );
      return peaks.status === 200 ? true : undefined;
    },
    10_000,
    "the support call's waveform peaks",
  );
  await mkdir(SCREENSHOTS, { recursive: true });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function openPage(width = 1280) {
  const page = await browser.context.newPage();
  await page.setViewportSize({ width, height: 900 });
  const answers: Promise<string>[] = [];
  page.on("response", (response) => {
    if (response.url().includes("/api/")) answers.push(response.text().catch(() => ""));
  });
  await page.goto(`${stack.webhookUrl}/qa`);
  return { page, answers };
}

const inPage = <T>(page: Page, expression: string) => page.evaluate<T>(expression);
const idle = (page: Page) => page.locator('main[aria-busy="false"]').waitFor();
async function settled(page: Page) {
  await idle(page);
  expect(await page.locator("#problem").isHidden(), await page.locator("#problem").innerText()).toBe(true);
}
const currentTime = (page: Page) => inPage<number>(page, "document.getElementById('player').currentTime");
const listedIds = (page: Page) =>
  inPage<string[]>(page, "[...document.querySelectorAll('#results-body tr')].map((tr) => tr.dataset.recordingId)");

async function signIn(page: Page, token: string) {
  await page.getByLabel("Team token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await settled(page);
}
async function findWho(page: Page, text: string) {
  await page.getByLabel("Who was on the call").fill(text);
  await page.getByRole("button", { name: "Search" }).click();
  await settled(page);
  return listedIds(page);
}

/** axe-core run in the page (its source evaluated: the page's CSP allows no injected script tag). */
async function seriousViolations(page: Page) {
  const source = await readFile(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
  await page.evaluate(source);
  const result = await inPage<{ violations: { id: string; impact: string | null; nodes: { target: string[] }[] }[] }>(
    page,
    "axe.run(document, { resultTypes: ['violations'] })",
  );
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

describe("the reviewer's workspace in Chromium", () => {
  it("finds a call by a person's name or number, plays it, and jumps from a timeline pause to the audio", async () => {
    const { page } = await openPage();
    await signIn(page, TOKENS.support);
    expect(await findWho(page, "dana")).toEqual([supportCall.recordingId]);
    expect(await findWho(page, "(415) 555-0100")).toEqual([supportCall.recordingId]);
    expect(await findWho(page, "Alice Smith")).toEqual([supportCall.recordingId]);
    expect(await findWho(page, "nobody at all")).toEqual([]);
    expect(await findWho(page, "")).toEqual([supportCall.recordingId]);

    // The row: names, not ids; direction; integrity; no review yet.
    const row = page.locator(`#results-body tr[data-recording-id="${supportCall.recordingId}"]`);
    const text = await row.innerText();
    expect(text).toContain("Alice Smith");
    expect(text).toContain("Dana Whitfield");
    expect(text).not.toContain(AGENT);
    expect(await row.locator('td[data-label="Direction"]').innerText()).toBe("outbound");
    expect(await row.locator('td[data-label="Integrity"]').innerText()).toBe("verified at archive");
    expect(await row.locator('td[data-label="Review"]').innerText()).toBe("—");
    await page.screenshot({ path: `${SCREENSHOTS}/list.png`, fullPage: true });

    await row.getByRole("button", { name: /^Open/ }).click();
    await settled(page);
    await expect.poll(() => page.locator("#detail").isVisible()).toBe(true);
    expect(await page.locator("#integrity-summary").innerText()).toMatch(/^Manifest intact .*signature: /);
    const people = await page.locator("#participants").innerText();
    expect(people).toContain("Alice Smith (agent, GB-ENG)");
    expect(people).toContain("Dana Whitfield (customer, US-CA)");

    // A waveform per speaker (unmixed: the agent on channel 0, the customer on 1), drawn from the ingest's peaks.
    await expect.poll(() => page.locator("canvas.wave").count()).toBe(2);
    expect(await page.locator("figure.wave figcaption").allInnerTexts()).toEqual(["Alice Smith", "Dana Whitfield"]);
    const inked = await inPage<number[]>(
      page,
      `[...document.querySelectorAll('canvas.wave')].map((c) => {
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; })`,
    );
    expect(
      inked.every((n) => n > 100),
      JSON.stringify(inked),
    ).toBe(true);

    // The timeline: the pause, with who asked and why, placed on the audio.
    const pauseRow = page.locator('#timeline-body tr[data-kind="paused"]');
    await expect.poll(() => pauseRow.count()).toBe(1);
    expect(await pauseRow.locator("td").nth(3).innerText()).toBe("support-reviewer");
    expect(await pauseRow.locator("td").nth(4).innerText()).toBe("card-capture");
    const kinds = await inPage<string[]>(
      page,
      "[...document.querySelectorAll('#timeline-body tr')].map((tr) => tr.dataset.kind)",
    );
    expect(kinds).toEqual(expect.arrayContaining(["recording-started", "paused", "resumed", "recording-ended"]));
    expect(kinds.indexOf("recording-started")).toBeLessThan(kinds.indexOf("paused"));
    const timeline = (await (
      await api(`/api/recordings/${encodeURIComponent(supportCall.recordingId)}/timeline`, TOKENS.support)
    ).json()) as { events: { kind: string; audioMs: number | null }[] };
    const pauseAt = (timeline.events.find((e) => e.kind === "paused")?.audioMs ?? -1) / 1000;
    expect(pauseAt).toBeGreaterThan(1);

    await pauseRow.getByRole("button", { name: /^Play from/ }).click();
    await settled(page);
    await expect.poll(() => currentTime(page), { timeout: 10_000 }).toBeGreaterThan(pauseAt);
    expect(await currentTime(page)).toBeLessThan(pauseAt + 2);
    await page.screenshot({ path: `${SCREENSHOTS}/recording.png`, fullPage: true });

    // Click the customer's waveform three quarters along: the player goes there.
    const duration = await inPage<number>(page, "document.getElementById('player').duration");
    const wave = page.locator('canvas.wave[data-channel="1"]');
    const box = (await wave.boundingBox())!;
    await wave.click({ position: { x: box.width * 0.75, y: box.height / 2 } });
    await settled(page);
    await expect.poll(() => currentTime(page)).toBeGreaterThan(duration * 0.7);
    // And the keyboard: Home goes back to the start.
    await wave.focus();
    await page.keyboard.press("Home");
    await settled(page);
    await expect.poll(() => currentTime(page)).toBeLessThan(duration * 0.3);
    expect(await wave.getAttribute("aria-valuemax")).toBe(String(Math.round(duration)));
    await page.close();
  });

  it("never shows an older search's answer after a newer one", async () => {
    const { page } = await openPage();
    await signIn(page, TOKENS.support);
    // The search for "nobody" is answered late; the one for "dana", asked after it, early.
    await page.route("**/api/recordings?*", async (route) => {
      if (route.request().url().includes("q=nobody")) await new Promise((resolve) => setTimeout(resolve, 2_000));
      await route.continue().catch(() => undefined);
    });
    await page.getByLabel("Who was on the call").fill("nobody");
    await page.getByRole("button", { name: "Search" }).click();
    await page.getByLabel("Who was on the call").fill("dana");
    await page.getByRole("button", { name: "Search" }).click();
    await settled(page);
    expect(await listedIds(page)).toEqual([supportCall.recordingId]);
    await new Promise((resolve) => setTimeout(resolve, 2_500)); // the late answer's time has come and gone
    await settled(page);
    expect(await listedIds(page)).toEqual([supportCall.recordingId]);
    expect(await page.locator("#status").innerText()).toBe("1 recording(s) shown.");
    await page.close();
  });

  it("shows another team none of it: not by name, not by number, not by id", async () => {
    const { page, answers } = await openPage();
    await signIn(page, TOKENS.desk);
    expect(await listedIds(page)).toEqual([deskCall.recordingId]);
    expect(await findWho(page, "dana")).toEqual([]);
    expect(await findWho(page, "alice")).toEqual([]);
    expect(await findWho(page, "(415) 555-0100")).toEqual([]);
    expect(await findWho(page, "erin")).toEqual([deskCall.recordingId]);
    const id = encodeURIComponent(supportCall.recordingId);
    for (const path of [`/api/recordings/${id}/timeline`, `/api/recordings/${id}/chunks/0/peaks`]) {
      expect((await api(path, TOKENS.desk)).status).toBe(404);
    }
    const seen = `${await page.content()}\n${(await Promise.all(answers)).join("\n")}`;
    for (const secret of ["Dana Whitfield", "Alice Smith", supportCall.recordingId, supportCall.serverCallId, AGENT]) {
      expect(seen).not.toContain(secret);
    }
    await page.close();
  });

  it("has no serious accessibility violation (axe-core), and is readable 420 px wide", async () => {
    for (const width of [1280, 420]) {
      const { page } = await openPage(width);
      expect(await seriousViolations(page), `sign-in at ${width}px`).toEqual([]);
      await signIn(page, TOKENS.support);
      expect(await seriousViolations(page), `list at ${width}px`).toEqual([]);
      // Nothing wider than the screen: no sideways scrolling to read a row.
      expect(await inPage<number>(page, "document.documentElement.scrollWidth")).toBeLessThanOrEqual(width);
      if (width === 420) await page.screenshot({ path: `${SCREENSHOTS}/list-420px.png`, fullPage: true });
      await page.locator(`#results-body tr[data-recording-id="${supportCall.recordingId}"] button`).click();
      await settled(page);
      await expect.poll(() => page.locator("canvas.wave").count()).toBe(2);
      expect(await seriousViolations(page), `recording at ${width}px`).toEqual([]);
      const widest = await inPage<string[]>(
        page,
        `[...document.querySelectorAll('#detail *')].filter((e) => e.getBoundingClientRect().right > ${width})
          .slice(0, 5).map((e) => e.tagName + '#' + e.id + '.' + e.className)`,
      );
      expect(await inPage<number>(page, "document.documentElement.scrollWidth"), widest.join(" ")).toBeLessThanOrEqual(
        width,
      );
      if (width === 420) await page.screenshot({ path: `${SCREENSHOTS}/recording-420px.png`, fullPage: true });
      await page.close();
    }
  });
});
