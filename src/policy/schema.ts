import { z } from "zod";
import { consentBlockSchema, consentRuleProblems, locationSchema } from "../consent/index.js";
import { isTimeZone } from "./time.js";

// The policy file format (docs/policies.md). Every object is strict: an unknown or misspelt field is an
// error, so a file written for a newer format is refused rather than half-understood.

/** Lets a list field also take a single value: `direction: inbound` means `[inbound]`. */
const oneOrMany = <T extends z.ZodType>(item: T) =>
  z.preprocess((value) => (value === undefined || Array.isArray(value) ? value : [value]), z.array(item).min(1));

const id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, "letters, digits, '.', '_' and '-' (at most 63)");

export const numberPattern = z
  .string()
  .regex(/^\+[1-9]\d{6,14}$|^\+\d{0,14}\*$/, "an E.164 number (+442071234567) or a prefix ending in * (+44800*)");

const member = z
  .string()
  .refine(
    (value) => /^\+[1-9]\d{6,14}$|^\+\d{0,14}\*$/.test(value) || /^(8:|28:)\S+$/.test(value),
    "a member is an ACS/Teams raw id (8:acs:…, 8:orgid:…), an E.164 number (+14255550100) or a number prefix (+1425555*)",
  );

const weekday = z.enum(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]);
const clock = z.string().regex(/^(([01]\d|2[0-3]):[0-5]\d|24:00)$/, 'a 24-hour time "HH:MM" (quoted), 00:00 to 24:00');

const timeWindow = z
  .strictObject({
    days: oneOrMany(weekday).default(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]),
    from: clock,
    to: clock,
  })
  .superRefine((window, ctx) => {
    if (window.from === window.to) {
      ctx.addIssue({
        code: "custom",
        path: ["to"],
        message: 'from and to are equal: write "00:00" to "24:00" for a whole day',
      });
    }
    if (window.from === "24:00")
      ctx.addIssue({ code: "custom", path: ["from"], message: 'a window cannot start at "24:00"' });
  });

const timeZone = z.string().refine(isTimeZone, "an IANA time zone, e.g. Europe/London");

const match = z.strictObject({
  direction: oneOrMany(z.enum(["inbound", "outbound", "internal"])).optional(),
  counterpart: oneOrMany(z.enum(["acs", "teams", "pstn"])).optional(),
  scope: z.enum(["internal", "external"]).optional(),
  shape: z.enum(["one-to-one", "group"]).optional(),
  numbers: oneOrMany(numberPattern).optional(),
  time: z.strictObject({ zone: timeZone.optional(), windows: z.array(timeWindow).min(1) }).optional(),
});

const recording = z
  .strictObject({
    content: z.enum(["audio", "audioVideo"]).default("audio"),
    channel: z.enum(["mixed", "unmixed"]).default("mixed"),
    format: z.enum(["wav", "mp3", "mp4"]).default("wav"),
    pauseOnStart: z.boolean().default(false),
    participantOrdering: z.enum(["team-first", "none"]).optional(),
  })
  .superRefine((options, ctx) => {
    // Combinations ACS cannot produce (docs/acs-payloads.md "Recording options"): unmixed is WAV only; video is mixed MP4 only.
    if (options.channel === "unmixed" && options.format !== "wav") {
      ctx.addIssue({ code: "custom", path: ["format"], message: "unmixed recordings must use format wav" });
    }
    if (options.content === "audio" && options.format === "mp4") {
      ctx.addIssue({ code: "custom", path: ["format"], message: "audio-only recordings cannot use mp4" });
    }
    if (options.content === "audioVideo" && (options.format !== "mp4" || options.channel !== "mixed")) {
      ctx.addIssue({ code: "custom", path: ["content"], message: "audioVideo recordings must be mixed mp4" });
    }
    if (options.participantOrdering === "team-first" && options.channel !== "unmixed") {
      ctx.addIssue({
        code: "custom",
        path: ["participantOrdering"],
        message: "participant ordering applies to unmixed audio only",
      });
    }
  });

const announcement = z
  .strictObject({
    text: z.string().min(1).max(1000).optional(),
    locale: z
      .string()
      .regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, "a language tag, e.g. en-GB")
      .optional(),
    audioUrl: z.url({ protocol: /^https$/, error: "an https URL of an audio file" }).optional(),
  })
  .superRefine((value, ctx) => {
    if ((value.text === undefined) === (value.audioUrl === undefined)) {
      ctx.addIssue({ code: "custom", path: [], message: "an announcement has either text or audioUrl" });
    }
    if (value.locale !== undefined && value.text === undefined) {
      ctx.addIssue({ code: "custom", path: ["locale"], message: "locale goes with text" });
    }
  });

/**
 * Where ACS writes the team's recordings (docs/byos.md): `acs` (its own storage, downloaded into the archive) or
 * `customer` (ACS writes straight into the team's Blob container, "Bring your own storage"; sealed in place). The
 * URL names a container and carries no secret: ACS writes with its managed identity, never with a SAS.
 */
const storage = z
  .strictObject({
    kind: z.enum(["acs", "customer"]).default("acs"),
    containerUrl: z.url({ protocol: /^https?$/, error: "an https URL of a Blob container" }).optional(),
  })
  .superRefine((value, ctx) => {
    const issue = (message: string) => ctx.addIssue({ code: "custom", path: ["containerUrl"], message });
    if (value.kind === "acs") {
      if (value.containerUrl !== undefined) issue("containerUrl goes with kind: customer");
      return;
    }
    if (value.containerUrl === undefined) return issue("kind customer needs the containerUrl ACS writes to");
    const problem = containerUrlProblem(value.containerUrl);
    if (problem) issue(problem);
  });

/** Why a customer container URL cannot be used (pure; exported for the tests), or undefined. */
export function containerUrlProblem(text: string): string | undefined {
  const url = new URL(text);
  const loopback = ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname);
  if (url.protocol !== "https:" && !loopback) return "must be https (http only for a local emulator)";
  if (url.search || url.hash || url.username || url.password)
    return "no query, fragment or credentials: ACS writes with its managed identity, never a SAS";
  const segments = url.pathname.split("/").filter(Boolean);
  // Azurite and other emulators address path-style: /<account>/<container>.
  if (segments.length < (loopback ? 2 : 1)) return "must name a container";
  return undefined;
}

const enforcement = z.strictObject({
  startWithinSeconds: z.int().min(1).max(600).default(15),
  onStartFailure: z.enum(["reject", "hang-up", "alert"]).default("alert"),
  onStop: z.enum(["restart", "hang-up", "alert"]).default("alert"),
});

const retention = z.strictObject({
  days: z.int().min(1).max(36_500).optional(),
  legalHold: z.boolean().default(false),
});

const pause = z
  .strictObject({
    allowed: z.boolean(),
    autoResumeSeconds: z.int().min(1).max(3600).optional(),
  })
  .superRefine((value, ctx) => {
    if (!value.allowed && value.autoResumeSeconds !== undefined) {
      ctx.addIssue({ code: "custom", path: ["autoResumeSeconds"], message: "autoResumeSeconds needs allowed: true" });
    }
  });

/**
 * How long a recording lasts (docs/policies.md "How long a recording lasts"): until the call ends, or until the last
 * participant the policy is about has left it.
 */
const until = z.enum(["call-end", "last-in-scope-leaves"]);

/** Stopping a recording on request (a customer who objects), with the reasons a request may give. */
const stop = z
  .strictObject({
    allowed: z.boolean(),
    reasons: z
      .array(
        z
          .string()
          .regex(
            /^[a-z0-9][a-z0-9-]{0,62}$/,
            "a reason code: lower-case letters, digits and dashes (customer-objection)",
          ),
      )
      .optional(),
  })
  .superRefine((value, ctx) => {
    const reasons = value.reasons ?? [];
    if (value.allowed && reasons.length === 0) {
      ctx.addIssue({
        code: "custom",
        path: ["reasons"],
        message: "a stop on request needs the reasons it may be given for (e.g. [customer-objection])",
      });
    }
    if (!value.allowed && reasons.length > 0) {
      ctx.addIssue({ code: "custom", path: ["reasons"], message: "reasons go with allowed: true" });
    }
    reasons.forEach((reason, i) => {
      if (reasons.indexOf(reason) !== i)
        ctx.addIssue({ code: "custom", path: ["reasons", i], message: `reason ${reason} is listed twice` });
    });
  });

/** Fields that only make sense when a rule records. */
const RECORDING_FIELDS = [
  "recording",
  "announcement",
  "enforcement",
  "retention",
  "pause",
  "samplePercent",
  "until",
  "stop",
  "consent",
] as const;

const rule = z
  .strictObject({
    id,
    description: z.string().min(1).optional(),
    match: match.default({}),
    mode: z.enum(["required", "best-effort", "never"]),
    reason: z.string().min(1).optional(),
    recording: recording.optional(),
    announcement: announcement.optional(),
    enforcement: enforcement.optional(),
    retention: retention.optional(),
    pause: pause.optional(),
    samplePercent: z.number().min(0).max(100).optional(),
    until: until.optional(),
    stop: stop.optional(),
    /** Consent and notice by jurisdiction set (docs/consent.md). */
    consent: consentBlockSchema.optional(),
  })
  .superRefine((value, ctx) => {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: "custom", path, message });
    if (value.mode === "never") {
      for (const field of RECORDING_FIELDS) {
        if (value[field] !== undefined) issue([field], `a never rule records nothing: remove ${field}`);
      }
      return;
    }
    if (value.reason !== undefined) issue(["reason"], "reason belongs to never rules and exemptions; use description");
    if (value.mode === "required" && value.samplePercent !== undefined) {
      issue(["samplePercent"], "required rules record every call; samplePercent is for best-effort rules");
    }
    if (value.mode === "required" && value.stop?.allowed) {
      issue(
        ["stop", "allowed"],
        "a required recording can never be stopped on request: use allowed: false, or make the rule best-effort",
      );
    }
    if (value.consent) {
      const problems = consentRuleProblems(value.consent, {
        mode: value.mode,
        channel: value.recording?.channel ?? "mixed",
        hasAnnouncement: value.announcement !== undefined,
      });
      for (const problem of problems) issue(problem.path, problem.message);
    }
    if (value.mode === "best-effort") {
      const { onStartFailure, onStop } = value.enforcement ?? {};
      if (onStartFailure === "reject" || onStartFailure === "hang-up") {
        issue(
          ["enforcement", "onStartFailure"],
          "a best-effort rule cannot end a call: use alert, or make the rule required",
        );
      }
      if (onStop === "hang-up") {
        issue(
          ["enforcement", "onStop"],
          "a best-effort rule cannot end a call: use restart or alert, or make the rule required",
        );
      }
    }
  });

const exemption = z.strictObject({
  id,
  reason: z.string().min(1),
  members: z.array(member).min(1).optional(),
  match: match.default({}),
  until: z.iso.date({ error: "a date YYYY-MM-DD" }).optional(),
});

export const teamPolicyFileSchema = z
  .strictObject({
    version: z.literal(1, { error: "only version 1 exists" }),
    team: z.strictObject({
      id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "lower-case letters, digits and dashes"),
      name: z.string().min(1),
      timeZone: timeZone.optional(),
      /** The default of every recording rule of the team (a rule may say otherwise). */
      until: until.optional(),
      /** Where the team's members are when the directory does not say (docs/consent.md "Where a party is"). */
      defaultLocation: locationSchema.optional(),
      /** Where ACS writes the team's recordings (docs/byos.md); default `acs`. */
      storage: storage.optional(),
    }),
    members: z.array(member).min(1),
    exemptions: z.array(exemption).default([]),
    rules: z.array(rule).min(1),
  })
  .superRefine((file, ctx) => {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: "custom", path, message });
    const seen = new Map<string, string>();
    const entries = [
      ...file.exemptions.map((e, i) => ({ id: e.id, path: ["exemptions", i, "id"], where: `exemptions[${i}]` })),
      ...file.rules.map((r, i) => ({ id: r.id, path: ["rules", i, "id"], where: `rules[${i}]` })),
    ];
    for (const entry of entries) {
      const first = seen.get(entry.id);
      if (first) issue(entry.path, `id ${entry.id} is already used by ${first}`);
      else seen.set(entry.id, entry.where);
    }
    file.exemptions.forEach((exemption, i) => {
      exemption.members?.forEach((entry, j) => {
        if (!file.members.includes(entry))
          issue(["exemptions", i, "members", j], `${entry} is not a member of this team`);
      });
    });
    const needsZone = (list: "exemptions" | "rules", i: number, conditions: z.infer<typeof match>) => {
      if (conditions.time && !conditions.time.zone && !file.team.timeZone) {
        issue([list, i, "match", "time"], "time windows need a zone (here, or team.timeZone)");
      }
    };
    file.exemptions.forEach((e, i) => needsZone("exemptions", i, e.match));
    file.rules.forEach((r, i) => needsZone("rules", i, r.match));
  });

export type TeamPolicyFile = z.infer<typeof teamPolicyFileSchema>;
export type MatchFile = z.infer<typeof match>;
export type RuleFile = z.infer<typeof rule>;
