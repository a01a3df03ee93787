import type { ConsentAccept } from "./types.js";

// Whether an answer to the consent prompt is consent (docs/consent.md "Answers"). Call Automation reports DTMF
// as tone names ("one", "pound"); policies write keys ("1", "#"). Anything recognized that is not an accepted
// answer is a refusal; no answer at all (RecognizeFailed, timeout) is silence and never reaches this function.

const TONE_KEYS: Record<string, string> = {
  zero: "0",
  one: "1",
  two: "2",
  three: "3",
  four: "4",
  five: "5",
  six: "6",
  seven: "7",
  eight: "8",
  nine: "9",
  asterisk: "*",
  pound: "#",
};

/** `one` → `1`, `pound` → `#`; a key (`1`) is returned as it is; undefined for anything else. */
export function keyOfTone(tone: string): string | undefined {
  const lower = tone.trim().toLowerCase();
  if (/^[0-9*#]$/.test(lower)) return lower;
  return TONE_KEYS[lower];
}

/** Lower case, letters and digits only, single spaces: "Yes, I agree!" → "yes i agree". */
export function normalizePhrase(text: string): string {
  return text
    .toLowerCase()
    .normalize("NFKC")
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim();
}

export type ConsentAnswer = { kind: "dtmf"; tones: readonly string[] } | { kind: "speech"; text: string };

export interface AnswerVerdict {
  outcome: "given" | "refused";
  /** What was heard, as it is written in the evidence: `dtmf 1`, `speech "yes please"`. */
  heard: string;
  /** The accepted key or phrase it matched, when consent was given. */
  matched?: string;
}

/**
 * DTMF: consent when the first key pressed is an accepted key. Speech: consent when an accepted phrase is the
 * whole answer or appears in it as whole words ("yes" in "yes that's fine", not in "yesterday").
 */
export function judgeAnswer(answer: ConsentAnswer, accept: ConsentAccept): AnswerVerdict {
  if (answer.kind === "dtmf") {
    const keys = answer.tones.map((tone) => keyOfTone(tone) ?? `?${tone}`);
    const heard = `dtmf ${keys.join("") || "(none)"}`;
    const first = keys[0];
    return first !== undefined && accept.dtmf.includes(first)
      ? { outcome: "given", heard, matched: first }
      : { outcome: "refused", heard };
  }
  const said = normalizePhrase(answer.text);
  const heard = `speech "${answer.text}"`;
  const padded = ` ${said} `;
  const matched = accept.speech.find((phrase) => {
    const wanted = normalizePhrase(phrase);
    return wanted !== "" && padded.includes(` ${wanted} `);
  });
  return matched !== undefined ? { outcome: "given", heard, matched } : { outcome: "refused", heard };
}
