import type { ConsentBlockFile } from "./schema.js";
import { DEFAULT_CONSENT_TIMEOUT_SECONDS } from "./schema.js";
import type { ConsentFallback, ConsentPolicy, ConsentRequirement, SpokenMessage } from "./types.js";

// A rule's `consent:` block from its file form to the form the decision reads, and the checks that need the rule
// around it (its mode, its recording channel, its one-for-everyone announcement).

type EntryFile = ConsentBlockFile[string];
type SpokenFile = Extract<EntryFile, { require: "notice" }>["announcement"];

function spokenOf(value: SpokenFile): SpokenMessage {
  if (value.audioUrl !== undefined) return { audioUrl: value.audioUrl };
  return { text: value.text ?? "", locale: value.locale ?? "", localized: value.localized ?? {} };
}

function requirementOf(entry: EntryFile): ConsentRequirement {
  switch (entry.require) {
    case "none":
      return { require: "none" };
    case "notice":
      return { require: "notice", announcement: spokenOf(entry.announcement) };
    case "consent":
      return {
        require: "consent",
        prompt: spokenOf(entry.prompt),
        // Pressing 1 is the default answer: "press 1 to agree".
        accept: { dtmf: entry.accept?.dtmf ?? (entry.accept ? [] : ["1"]), speech: entry.accept?.speech ?? [] },
        timeoutSeconds: entry.timeoutSeconds ?? DEFAULT_CONSENT_TIMEOUT_SECONDS,
        onRefusal: entry.onRefusal,
        // Saying nothing is not consent: unless told otherwise, it is handled as a refusal.
        onSilence: entry.onSilence ?? entry.onRefusal,
      };
  }
}

export function consentPolicyOf(block: ConsentBlockFile): ConsentPolicy {
  return { entries: Object.entries(block).map(([set, entry]) => ({ set, requirement: requirementOf(entry) })) };
}

export interface ConsentRuleShape {
  mode: "required" | "best-effort";
  channel: "mixed" | "unmixed";
  hasAnnouncement: boolean;
}

/** Problems of a consent block in its rule: path (inside the rule) and message. */
export function consentRuleProblems(
  block: ConsentBlockFile,
  rule: ConsentRuleShape,
): { path: (string | number)[]; message: string }[] {
  const problems: { path: (string | number)[]; message: string }[] = [];
  if (rule.hasAnnouncement) {
    problems.push({
      path: ["announcement"],
      message:
        'a rule with consent says what each jurisdiction hears: move the announcement into consent (e.g. "*": { require: notice, announcement: … })',
    });
  }
  for (const [set, entry] of Object.entries(block)) {
    if (entry.require !== "consent") continue;
    const actions: [string, ConsentFallback | undefined][] = [
      ["onRefusal", entry.onRefusal],
      ["onSilence", entry.onSilence],
    ];
    for (const [field, action] of actions) {
      if (action === "record-our-side-only" && rule.channel !== "unmixed") {
        problems.push({
          path: ["consent", set, field],
          message:
            "record-our-side-only keeps our members' channels only, which needs recording.channel: unmixed (a mixed recording cannot be split)",
        });
      }
      if (action === "end-call" && rule.mode === "best-effort") {
        problems.push({
          path: ["consent", set, field],
          message: "a best-effort rule cannot end a call: use record-nothing, or make the rule required",
        });
      }
    }
  }
  return problems;
}
