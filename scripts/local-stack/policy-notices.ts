import { POLICY_REFUSED_MESSAGE, POLICY_RELOADED_MESSAGE } from "../../src/policy/index.js";

/**
 * The line `npm start` prints in its terminal for a policy reload a process logged (its pino JSON lines): a
 * refused change names the files and reasons (the previous policies stay in force), and an accepted one says so,
 * so that someone editing policies/ sees the outcome without reading JSON logs. Undefined for any other line.
 */
export function policyNotice(processName: string, line: string): string | undefined {
  if (!line.includes("polic")) return undefined; // most lines: skip the JSON parse
  let entry: unknown;
  try {
    entry = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof entry !== "object" || entry === null) return undefined;
  const { msg, problems, dir, hash } = entry as Record<string, unknown>;
  const where = typeof dir === "string" ? ` in ${dir}` : "";
  if (msg === POLICY_REFUSED_MESSAGE) {
    const reasons = Array.isArray(problems) ? problems.map(String) : [];
    const shown = reasons.slice(0, 5).map((problem) => `\n             ${problem}`);
    const more = reasons.length > 5 ? `\n             (and ${reasons.length - 5} more)` : "";
    return `Policies   ${processName} REFUSED the policy change${where}; the previous policies stay in force:${shown.join("")}${more}`;
  }
  if (msg === POLICY_RELOADED_MESSAGE && typeof hash === "string")
    return `Policies   ${processName} reloaded the policies${where} (${hash.slice(0, 12)}): new calls use them`;
  return undefined;
}
