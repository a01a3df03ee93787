// QA reviews in the page, in headless Chromium against the whole stack (docs/reviews.md "The QA page"): a
// team's recording archived through the simulator is put in its reviewer's queue by the scheduled job; the reviewer
// sees "My queue" first, opens it, plays it, pins a comment at the player's position, fills and submits the
// scorecard, and finds the score in the report (table, chart, CSV). A reviewer of another team sees none of it.
// Screenshots go to test/browser/screenshots/ (git-ignored).
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
const AGENT = user("rv-a1");
const A2 = user("rv-a2");
const B1 = user("rv-b1");
const CUSTOMER = "4:+14255550199";
const SCREENSHOTS = join("test", "browser", "screenshots");
const TOKENS = { a: "reviews-team-a-token-0123456789", b: "reviews-team-b-token-0123456789" };
const COMMENT = "Disclosure heard clearly here";

const policy = (team: string, members: string[]) => `version: 1
team: { id: ${team}, name: ${team} }
members: [${members.map((m) => `"${m}"`).join(", ")}]
rules:
  - id: record-all-${team}
    mode: required
    recording: { content: audio, channel: mixed, format: wav }
`;
const scorecard = (team: string, reviewer: string) => `version: 1
team: ${team}
title: ${team} call review
passMark: 70
sections:
  - id: compliance
    title: Compliance
    weight: 60
    questions:
      - { id: disclosed, text: Was the recording disclosed?, type: yes-no, critical: true }
      - { id: id-checked, text: Was the caller identified?, type: yes-no-na }
  - id: manner
    title: Manner
    weight: 40
    questions:
      - { id: courtesy, text: Courtesy, type: scale }
sampling: { perAgentPerWeek: 5 }
reviewers: [${reviewer}]
`;

interface Item {
  recordingId: string;
  serverCallId: string;
}

let stack: Stack;
let browser: RunningChromium;
let dir: string;
let recording: Item;

const api = async <T>(path: string, token: string): Promise<T> => {
  const response = await fetch(`${stack.webhookUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
  if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
};

beforeAll(async () => {
  browser = await launchChromium();
  dir = await mkdtemp(join(tmpdir(), "reviews-page-"));
  await mkdir(SCREENSHOTS, { recursive: true });
  await writeFile(join(dir, "team-a.yaml"), policy("team-a", [AGENT, A2]));
  await writeFile(join(dir, "team-b.yaml"), policy("team-b", [B1]));
  await writeFile(join(dir, "team-a.scorecard.yaml"), scorecard("team-a", "team-a-reviewer"));
  // The agent has a name in team-a's directory: the report shows it, not the raw id (docs/directory.md).
  await writeFile(
    join(dir, "team-a.directory.yaml"),
    `version: 1\nteam: team-a\npeople:\n  - { id: "${AGENT}", displayName: Rosa Vidal, role: agent }\n`,
  );
  await writeFile(join(dir, "team-b.scorecard.yaml"), scorecard("team-b", "team-b-reviewer"));
  await writeFile(
    join(dir, "tokens.yaml.txt"),
    `tokens:
  - { name: team-a-reviewer, role: team, team: team-a, sha256: ${sha256Hex(TOKENS.a)} }
  - { name: team-b-reviewer, role: team, team: team-b, sha256: ${sha256Hex(TOKENS.b)} }
`,
  );
  // The queue is filled by the scheduled job, every 10 s here.
  stack = await startStack({
    policyDir: dir,
    env: { API_TOKENS_FILE: join(dir, "tokens.yaml.txt"), REVIEW_QUEUE_EVERY_SECONDS: "10" },
  });
  const { serverCallId } = await stack.simulator.placeCall({
    from: AGENT,
    to: CUSTOMER,
    durationMs: 60_000,
    recordingDurationMs: 6_000,
  });
  await eventually(
    () => (stack.simulator.getCall(serverCallId)?.recordings[0]?.state === "active" ? true : undefined),
    15_000,
    "the recording to be active",
  );
  await stack.simulator.endCall(serverCallId);
  recording = await eventually(
    async () =>
      (await api<{ items: Item[] }>(`/api/recordings?serverCallId=${encodeURIComponent(serverCallId)}`, TOKENS.a))
        .items[0],
    25_000,
    "the recording to be listed",
  );
  await eventually(
    async () => {
      const queue = await api<{ items: Item[] }>("/api/reviews/queue", TOKENS.a);
      return queue.items.find((i) => i.recordingId === recording.recordingId);
    },
    40_000,
    "the fill-review-queue job to queue the recording",
  );
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function openPage() {
  const page = await browser.context.newPage();
  const answers: Promise<string>[] = [];
  page.on("response", (response) => {
    if (response.url().includes("/api/") && !response.url().includes("/stream"))
      answers.push(response.text().catch(() => ""));
  });
  await page.goto(`${stack.webhookUrl}/qa`);
  return { page, answers };
}

/** In-page expressions, polled (waitForFunction would need 'unsafe-eval', which the page's CSP refuses). */
const until = (page: Page, expression: string) =>
  expect.poll(() => page.evaluate<boolean>(expression), { timeout: 15_000 }).toBe(true);
const reviewsIdle = (page: Page) => until(page, "(document.body.dataset.reviewsBusy ?? '0') === '0'");

/** Both halves of the page have finished what they started, and nothing went wrong. */
async function settled(page: Page) {
  await page.locator('main[aria-busy="false"]').waitFor();
  await reviewsIdle(page);
  expect(await page.locator("#problem").isHidden(), await page.locator("#problem").innerText()).toBe(true);
}

async function signIn(page: Page, token: string) {
  await page.getByLabel("Team token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await settled(page);
}

describe("QA reviews in the page (Chromium)", () => {
  it("a reviewer fills and submits a scorecard with a pinned comment, and sees it in the report", async () => {
    const { page } = await openPage();
    await signIn(page, TOKENS.a);
    // "My queue" first, the job's item in it, assigned to this reviewer.
    await expect.poll(() => page.locator("#queue").isVisible()).toBe(true);
    expect(await page.locator("#show-queue").getAttribute("aria-current")).toBe("page");
    const row = page.locator(`#queue-body tr[data-recording-id="${recording.recordingId}"]`);
    await expect.poll(() => row.count()).toBe(1);
    expect(await row.innerText()).toContain("team-a-reviewer (you)");
    expect(await row.innerText()).toContain("weekly sample");
    await page.screenshot({ path: join(SCREENSHOTS, "reviews-1-my-queue.png"), fullPage: true });

    await row.getByRole("button", { name: /^Open/ }).click();
    await settled(page);
    await expect.poll(() => page.locator("#detail").isVisible()).toBe(true);
    await page.locator("#scorecard").waitFor();

    // Play, go to 2.5 s, pin a comment there.
    await page.locator("#chunks-body button").first().click();
    await settled(page);
    await until(page, "document.getElementById('player').readyState >= 1");
    await page.evaluate(
      "document.getElementById('player').pause(); document.getElementById('player').currentTime = 2.5",
    );
    await until(page, "Math.abs(document.getElementById('player').currentTime - 2.5) < 0.05");
    await page.getByLabel("Comment", { exact: true }).fill(COMMENT);
    await page.getByRole("button", { name: "Add comment at the current time" }).click();
    expect(await page.locator("#pending-comments").innerText()).toBe(`0:02.5 ${COMMENT}`);

    // Answer: disclosed yes, identified N/A, courtesy 4 → compliance 100 %, manner 75 %: 90 %.
    await page.getByRole("group", { name: "Was the recording disclosed? (critical)" }).getByLabel("Yes").check();
    await page.getByRole("group", { name: "Was the caller identified?" }).getByLabel("N/A").check();
    await page.getByRole("group", { name: "Courtesy" }).getByLabel("4").check();
    await page.getByLabel("Coaching").check();
    await page.getByLabel("Summary").fill("Clear and polite");
    await page.screenshot({ path: join(SCREENSHOTS, "reviews-2-scorecard-filled.png"), fullPage: true });
    await page.getByRole("button", { name: "Submit review" }).click();
    await settled(page);
    await expect
      .poll(() => page.locator("#review-result").innerText())
      .toBe("Review submitted (version 1): 90% — passed.");
    const listed = await page.locator("#reviews-list").innerText();
    expect(listed).toContain("team-a-reviewer, version 1: 90% — passed");
    expect(listed).toContain(`0:02.5 ${COMMENT}`);
    expect(listed).toContain("flags: Coaching");
    await page.screenshot({ path: join(SCREENSHOTS, "reviews-3-submitted.png"), fullPage: true });

    // The comment's time plays the recording from there.
    await page.evaluate("document.getElementById('player').pause(); document.getElementById('player').currentTime = 0");
    await until(page, "document.getElementById('player').currentTime < 0.1");
    await page.getByRole("button", { name: "Play from 0:02.5" }).click();
    // At once, not by playing on from 0 (that would take 2.4 s).
    await expect
      .poll(() => page.evaluate<number>("document.getElementById('player').currentTime"), { timeout: 1_500 })
      .toBeGreaterThanOrEqual(2.4);

    // Stored as the API says: the comment at 2.5 s.
    const stored = await api<{ reviews: { comments: { atSeconds: number; text: string }[] }[] }>(
      `/api/recordings/${encodeURIComponent(recording.recordingId)}/reviews`,
      TOKENS.a,
    );
    expect(stored.reviews[0]!.comments).toEqual([{ atSeconds: 2.5, text: COMMENT }]);

    // The report: the team row and the agent's, a chart, a CSV.
    await page.getByRole("button", { name: "Reports" }).click();
    await page.getByRole("button", { name: "Show report" }).click();
    await settled(page);
    const report = await page.locator("#report-body").innerText();
    expect(report).toContain("(whole team)");
    expect(report).toContain("Rosa Vidal");
    expect(report).not.toContain(AGENT);
    expect(report).toContain("90%");
    await expect.poll(() => page.locator("#report-chart canvas").count()).toBeGreaterThan(0);
    await page.screenshot({ path: join(SCREENSHOTS, "reviews-4-report.png"), fullPage: true });
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: "Download CSV" }).click(),
    ]);
    const csv = await readFile((await download.path())!, "utf8");
    expect(csv.split("\r\n")[0]).toBe(
      "team,week,agent,agentName,reviews,meanPercent,passed,failed,criticalFailed,flagged",
    );
    expect(csv).toContain(`,${AGENT},Rosa Vidal,1,90,1,0,0,1`);

    // The recordings list shows the review status: back for a second look (the coaching flag; one reviewer only).
    await page.getByRole("button", { name: "Recordings" }).click();
    await settled(page);
    const listRow = page.locator(`#results-body tr[data-recording-id="${recording.recordingId}"]`);
    await expect.poll(() => listRow.count()).toBe(1);
    expect(await listRow.innerText()).toContain("to-review");
    await page.close();
  });

  it("a reviewer of another team sees none of it: not in the queue, not in the report, not in any answer", async () => {
    const { page, answers } = await openPage();
    await signIn(page, TOKENS.b);
    await expect.poll(() => page.locator("#queue").isVisible()).toBe(true);
    expect(await page.locator("#queue-body tr").count()).toBe(0);
    await page.getByRole("button", { name: "Reports" }).click();
    await page.getByRole("button", { name: "Show report" }).click();
    await settled(page);
    expect(await page.locator("#report-body tr").count()).toBe(0);
    expect(await page.locator("#report-caption").innerText()).toBe("No reviews in this period");
    // Asking for team A's report by name is refused as if team A did not exist.
    await page.getByLabel("Which team (auditors only)").fill("team-a");
    await page.getByRole("button", { name: "Show report" }).click();
    await page.locator('main[aria-busy="false"]').waitFor();
    await reviewsIdle(page);
    expect(await page.locator("#problem").innerText()).toContain("no such team (HTTP 404)");
    await page.screenshot({ path: join(SCREENSHOTS, "reviews-5-other-team.png"), fullPage: true });
    const html = await page.content();
    const received = (await Promise.all(answers)).join("\n");
    for (const secret of [recording.recordingId, recording.serverCallId, AGENT, COMMENT, "team-a-reviewer"]) {
      expect(html).not.toContain(secret);
      expect(received).not.toContain(secret);
    }
    await page.close();
  });
});
