import { z } from "zod";
import { identityKind, isKnownCountry, LOCATION } from "./identity.js";

const location = z
  .string()
  .regex(LOCATION, "an ISO 3166-1 alpha-2 country, optionally with a subdivision (GB, US-CA)")
  .refine((value) => isKnownCountry(value.slice(0, 2)), "not an ISO 3166-1 country code");

export const directoryEntrySchema = z.strictObject({
  id: z
    .string()
    .refine(
      (id) => identityKind(id) !== undefined,
      "not an identity: give an ACS id (8:acs:…), a Teams id (8:orgid:…), an E.164 number (+44…) or a number range (+44800123400*)",
    ),
  displayName: z.string().trim().min(1).max(200),
  role: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, "a lower-case word (agent, supervisor, customer…)"),
  email: z.email().optional(),
  employeeId: z.string().trim().min(1).max(64).optional(),
  location: location.optional(),
});

export const directoryFileSchema = z.strictObject({
  version: z.literal(1),
  /** Must be the team id the file is named after. */
  team: z.string().regex(/^[a-z0-9_-]{1,64}$/, "a team id"),
  country: z.string().refine(isKnownCountry, "an ISO 3166-1 alpha-2 country (GB, US)").optional(),
  people: z.array(directoryEntrySchema).default([]),
});
export type DirectoryFile = z.infer<typeof directoryFileSchema>;
