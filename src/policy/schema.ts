import { z } from "zod";

const recordingOptions = z
  .strictObject({
    content: z.enum(["audio", "audioVideo"]).default("audio"),
    channel: z.enum(["mixed", "unmixed"]).default("mixed"),
    format: z.enum(["wav", "mp3", "mp4"]).default("wav"),
    pauseOnStart: z.boolean().default(false),
  })
  .superRefine((options, ctx) => {
    // Combinations ACS cannot produce (reference §6): unmixed is WAV only; video is mixed MP4 only.
    if (options.channel === "unmixed" && options.format !== "wav") {
      ctx.addIssue({ code: "custom", path: ["format"], message: "unmixed recordings must use format wav" });
    }
    if (options.content === "audio" && options.format === "mp4") {
      ctx.addIssue({ code: "custom", path: ["format"], message: "audio-only recordings cannot use mp4" });
    }
    if (options.content === "audioVideo" && (options.format !== "mp4" || options.channel !== "mixed")) {
      ctx.addIssue({ code: "custom", path: ["content"], message: "audioVideo recordings must be mixed mp4" });
    }
  });

const member = z
  .string()
  .refine(
    (value) => /^\+[1-9]\d{6,14}$/.test(value) || /^(8:acs:|8:orgid:|28:orgid:|8:)\S+$/.test(value),
    "a member is an E.164 number (+14255550100) or an ACS/Teams raw id (8:acs:…)",
  );

export const teamPolicyFileSchema = z.strictObject({
  version: z.literal(1),
  team: z.strictObject({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "lower-case letters, digits and dashes"),
    name: z.string().min(1),
  }),
  members: z.array(member).min(1),
  rules: z
    .array(
      z.strictObject({
        id: z.string().min(1),
        mode: z.enum(["required", "best-effort", "never"]),
        recording: recordingOptions.default({ content: "audio", channel: "mixed", format: "wav", pauseOnStart: false }),
      }),
    )
    .min(1),
});

export type TeamPolicyFile = z.infer<typeof teamPolicyFileSchema>;
