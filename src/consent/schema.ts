import { z } from "zod";
import { ANY_JURISDICTION, UNKNOWN_JURISDICTION } from "./types.js";

// File formats: a rule's `consent:` block (part of the policy file, docs/policies.md "Consent and notice"), the
// jurisdiction sets (policies/jurisdictions.sets.yaml) and the NANP area-code table
// (policies/jurisdictions.nanp-area-codes.yaml). docs/consent.md describes all three.

const oneOrMany = <T extends z.ZodType>(item: T) =>
  z.preprocess((value) => (value === undefined || Array.isArray(value) ? value : [value]), z.array(item).min(1));

const locale = z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, "a language tag, e.g. en-GB");

/**
 * An ISO 3166-1 alpha-2 code, optionally with an ISO 3166-2 subdivision, in capitals; or `US-unknown` /
 * `CA-unknown`: a number of that country whose state or province the area code does not tell.
 */
export const locationSchema = z
  .string()
  .regex(
    /^[A-Z]{2}(-[A-Z0-9]{1,3}|-unknown)?$/,
    "an ISO 3166 code in capitals: a country (GB), a subdivision (US-CA), or US-unknown / CA-unknown",
  );

const setName = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,62}$/, "lower-case letters, digits and dashes, starting with a letter")
  .refine((name) => name !== UNKNOWN_JURISDICTION, "unknown is the jurisdiction of parties nobody could place");

const spoken = z
  .strictObject({
    text: z.string().min(1).max(1000).optional(),
    locale: locale.optional(),
    /** Translations: locale → text; the one whose region is the deciding party's country is read out. */
    localized: z.record(locale, z.string().min(1).max(1000)).optional(),
    audioUrl: z.url({ protocol: /^https$/, error: "an https URL of an audio file" }).optional(),
  })
  .superRefine((value, ctx) => {
    const issue = (path: string[], message: string) => ctx.addIssue({ code: "custom", path, message });
    if ((value.text === undefined) === (value.audioUrl === undefined)) issue([], "give either text or audioUrl");
    if (value.text !== undefined && value.locale === undefined)
      issue(["locale"], "text needs the locale it is read in");
    if (value.audioUrl !== undefined && (value.locale !== undefined || value.localized !== undefined)) {
      issue(["audioUrl"], "locale and localized go with text, not with audioUrl");
    }
  });

const fallback = z.enum(["record-nothing", "end-call", "record-our-side-only"]);
const dtmfKey = z.string().regex(/^[0-9*#]$/, 'one keypad key: "0"–"9", "*" or "#" (quote it: "1")');

/**
 * Call Automation recognize waits at most 300 s for DTMF and 20 s for speech (initial silence timeout,
 * https://learn.microsoft.com/azure/communication-services/how-tos/call-automation/recognize-action).
 */
export const MAX_DTMF_TIMEOUT_SECONDS = 300;
export const MAX_SPEECH_TIMEOUT_SECONDS = 20;
export const DEFAULT_CONSENT_TIMEOUT_SECONDS = 10;

const consentEntry = z.discriminatedUnion("require", [
  z.strictObject({ require: z.literal("none") }),
  z.strictObject({ require: z.literal("notice"), announcement: spoken }),
  z
    .strictObject({
      require: z.literal("consent"),
      prompt: spoken,
      accept: z
        .strictObject({
          dtmf: oneOrMany(dtmfKey).optional(),
          speech: oneOrMany(z.string().regex(/\p{L}/u, "a phrase with words")).optional(),
        })
        .refine((value) => value.dtmf !== undefined || value.speech !== undefined, "accept needs dtmf or speech")
        .optional(),
      timeoutSeconds: z.int().min(1).max(MAX_DTMF_TIMEOUT_SECONDS).optional(),
      onRefusal: fallback,
      onSilence: fallback.optional(),
    })
    .superRefine((value, ctx) => {
      const timeout = value.timeoutSeconds ?? DEFAULT_CONSENT_TIMEOUT_SECONDS;
      if (value.accept?.speech && timeout > MAX_SPEECH_TIMEOUT_SECONDS) {
        ctx.addIssue({
          code: "custom",
          path: ["timeoutSeconds"],
          message: `speech recognition waits at most ${MAX_SPEECH_TIMEOUT_SECONDS} s: lower timeoutSeconds or accept dtmf only`,
        });
      }
    }),
]);

/** A rule's `consent:` block: set name (or `unknown`, or `*`) → what is required of parties there. */
export const consentBlockSchema = z
  .record(z.union([setName, z.literal(UNKNOWN_JURISDICTION), z.literal(ANY_JURISDICTION)]), consentEntry)
  .refine((block) => Object.keys(block).length > 0, "a consent block names at least one set, unknown or *");

export type ConsentBlockFile = z.infer<typeof consentBlockSchema>;

export const jurisdictionSetsFileSchema = z
  .strictObject({
    version: z.literal(1, { error: "only version 1 exists" }),
    sets: z.record(
      setName.refine((name) => name !== ANY_JURISDICTION, "* is not a set"),
      z.strictObject({
        description: z.string().min(1).optional(),
        sources: z.array(z.string().min(1)).min(1, "say where the list comes from (sources)"),
        jurisdictions: z.array(locationSchema).min(1),
      }),
    ),
  })
  .superRefine((file, ctx) => {
    for (const [name, set] of Object.entries(file.sets)) {
      set.jurisdictions.forEach((entry, i) => {
        if (set.jurisdictions.indexOf(entry) !== i) {
          ctx.addIssue({
            code: "custom",
            path: ["sets", name, "jurisdictions", i],
            message: `${entry} is listed twice`,
          });
        }
      });
    }
  });

export const areaCodesFileSchema = z.strictObject({
  version: z.literal(1, { error: "only version 1 exists" }),
  source: z.string().min(1),
  areaCodes: z.record(
    z.string().regex(/^[2-9]\d\d$/, "a three-digit NANP area code"),
    z.string().regex(/^(US|CA)-[A-Z]{2}$/, "US-XX (a state, DC or territory) or CA-XX (a province or territory)"),
  ),
});
