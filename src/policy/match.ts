import type { TeamView } from "./facts.js";
import { numberMatches } from "./identity.js";
import { describeWindows, localTimeOf, windowContains } from "./time.js";
import type { MatchConditions } from "./types.js";

export interface ConditionCheck {
  condition: keyof MatchConditions;
  holds: boolean;
  /** What was found, in words: "the call is inbound for this team". */
  detail: string;
}

export interface MatchResult {
  matches: boolean;
  checks: ConditionCheck[];
  /** The local time judged, when the conditions had a time window. */
  localTime?: string;
}

const or = (values: readonly string[]) => values.join(" or ");

/** Checks every condition (not only up to the first failure), so an explanation can say all that differed. */
export function matchConditions(match: MatchConditions, view: TeamView): MatchResult {
  const checks: ConditionCheck[] = [];
  let localTime: string | undefined;

  if (match.direction) {
    const holds = view.direction !== undefined && match.direction.includes(view.direction);
    const found = view.direction
      ? `the call is ${view.direction} for this team`
      : "the direction is unknown (no caller yet)";
    checks.push({ condition: "direction", holds, detail: `${found}; wanted ${or(match.direction)}` });
  }
  if (match.counterpart) {
    const wanted = match.counterpart;
    const hit = view.counterparts.find((c) => (wanted as readonly string[]).includes(c.kind));
    const found =
      view.counterparts.length === 0
        ? "no counterpart"
        : `counterparts ${view.counterparts.map((c) => `${c.rawId} (${c.kind})`).join(", ")}`;
    checks.push({ condition: "counterpart", holds: !!hit, detail: `${found}; wanted ${or(wanted)}` });
  }
  if (match.scope) {
    const detail =
      view.scope === "external"
        ? "a counterpart is in no team (external)"
        : view.counterparts.length === 0
          ? "everyone is in this team (internal)"
          : "every counterpart is in a team (internal)";
    checks.push({ condition: "scope", holds: view.scope === match.scope, detail: `${detail}; wanted ${match.scope}` });
  }
  if (match.shape) {
    checks.push({
      condition: "shape",
      holds: view.shape === match.shape,
      detail: `the call is ${view.shape}; wanted ${match.shape}`,
    });
  }
  if (match.numbers) {
    const patterns = match.numbers;
    const hit = view.counterparts.find(
      ({ number }) => number !== undefined && patterns.some((p) => numberMatches(p, number)),
    );
    const detail = hit ? `counterpart number ${hit.number} is listed` : `no counterpart number matches ${or(patterns)}`;
    checks.push({ condition: "numbers", holds: !!hit, detail });
  }
  if (match.time) {
    if (!view.at) {
      checks.push({ condition: "time", holds: false, detail: "the call time is unknown" });
    } else {
      const local = localTimeOf(view.at, match.time.zone);
      localTime = local.text;
      const holds = match.time.windows.some((window) => windowContains(window, local));
      const detail = `${local.text} is ${holds ? "within" : "outside"} ${describeWindows(match.time)}`;
      checks.push({ condition: "time", holds, detail });
    }
  }
  return { matches: checks.every((c) => c.holds), checks, ...(localTime ? { localTime } : {}) };
}

/** A rule's conditions in words: "inbound, external calls from or to PSTN …", or "every call". */
export function describeMatch(match: MatchConditions): string {
  const parts: string[] = [];
  if (match.direction) parts.push(`direction ${or(match.direction)}`);
  if (match.counterpart) parts.push(`with a ${or(match.counterpart)} counterpart`);
  if (match.scope)
    parts.push(match.scope === "external" ? "with someone outside every team" : "with team members only");
  if (match.shape) parts.push(match.shape === "group" ? "group calls" : "1:1 calls");
  if (match.numbers) parts.push(`with number ${or(match.numbers)}`);
  if (match.time) parts.push(`during ${describeWindows(match.time)}`);
  return parts.length === 0 ? "every call" : parts.join(", ");
}
