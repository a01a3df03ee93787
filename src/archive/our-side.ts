/**
 * Ingest of an our-side-only recording (docs/consent-flow.md "Our side only", docs/archive.md "Our side only"): what
 * ACS serves is hashed as received, then only our members' channels are kept (channels.ts), and that is what is
 * archived. The record of a stripped chunk (`chunk-<nnnn>.ourside.json`) says both, and which channels went and why.
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import { isMember } from "../policy/index.js";
import type { Decision, TeamPolicy } from "../policy/index.js";
import { keepChannels, selectChannels, type ChannelSelection, type WavFormat } from "./channels.js";
import type { AcsMetadataDocument } from "./manifest.js";

/**
 * Whether a participant is positively ours: a member of a team that records the call (its policy's members, read now,
 * so a member who joined after the decision counts), or one the decision found in scope. Pure.
 */
export function recordingTeamMember(
  decision: Decision | undefined,
  policies: readonly TeamPolicy[],
): (participantId: string) => boolean {
  if (!decision?.record) return () => false;
  const teamIds = new Set((decision.contributions ?? []).filter((c) => c.outcome === "record").map((c) => c.teamId));
  teamIds.add(decision.teamId);
  const teams = policies.filter((p) => teamIds.has(p.team.id));
  const inScope = new Set(decision.inScope ?? []);
  return (participantId) => inScope.has(participantId) || teams.some((team) => isMember(team, participantId));
}

/** What was received from ACS, as read: SHA-256 and size of the whole body. */
export interface Received {
  sha256: string;
  sizeBytes: number;
}

/** Hashes every byte that passes, untouched; `done()` once the body was read to its end. */
export function receivedTap(body: AsyncIterable<Buffer>): { body: AsyncIterable<Buffer>; done: () => Received } {
  const hash = createHash("sha256");
  let sizeBytes = 0;
  let ended = false;
  return {
    body: (async function* () {
      for await (const piece of body) {
        hash.update(piece);
        sizeBytes += piece.length;
        yield piece;
      }
      ended = true;
    })(),
    done: () => {
      if (!ended) throw new Error("the received body was not read to its end");
      return { sha256: hash.digest("hex"), sizeBytes };
    },
  };
}

/** The bytes of `body` from `offset` on (a resumed upload continues past what it staged). */
export async function* skipBytes(body: AsyncIterable<Buffer>, offset: number): AsyncGenerator<Buffer> {
  let left = offset;
  for await (const piece of body) {
    if (left >= piece.length) {
      left -= piece.length;
      continue;
    }
    yield left > 0 ? piece.subarray(left) : piece;
    left = 0;
  }
}

/**
 * A chunk's body stripped to our channels: the received bytes tapped (hashed as ACS served them), then the kept
 * channels. `selection()` is the channel choice, known once the header was read.
 */
export function strippedBody(
  served: AsyncIterable<Buffer>,
  document: Pick<AcsMetadataDocument, "participants">,
  isOurs: (participantId: string) => boolean,
  strip: ReadonlySet<string>,
) {
  const tap = receivedTap(served);
  let chosen: { format: WavFormat; selection: ChannelSelection } | undefined;
  const body = keepChannels(tap.body, (format) => {
    const selection = selectChannels({ participants: document.participants, channels: format.channels, isOurs, strip });
    chosen = { format, selection };
    return selection.kept.map((k) => k.channel);
  });
  return {
    body,
    received: tap.done,
    selection: () => {
      if (!chosen) throw new Error("the body's header was not read");
      return chosen;
    },
  };
}

const received = z.object({ sha256: z.string(), sizeBytes: z.number() });
const why = z.enum(["no-consent", "not-ours", "shared", "unassigned"]);

/**
 * The record of a stripped chunk, archived beside it: `received` is what ACS served (chain of custody: what we
 * received), `archived` the chunk blob; the channels kept and dropped, with why; `unplaced`: listed in the metadata
 * document without a channel of the file; `unarchivedParties`: the session's strip set. Read back through this schema.
 */
export const ourSideRecord = z.object({
  kind: z.literal("our-side-only"),
  documentId: z.string(),
  received,
  archived: received,
  channels: z.object({
    served: z.number(),
    kept: z.array(z.object({ channel: z.number(), archivedChannel: z.number(), participants: z.array(z.string()) })),
    dropped: z.array(z.object({ channel: z.number(), participants: z.array(z.string()), why })),
  }),
  unplaced: z.array(z.string()),
  unarchivedParties: z.record(z.string(), z.object({ why: z.string(), at: z.string() })),
});
export type OurSideRecord = z.infer<typeof ourSideRecord>;

/** Beside the chunk: `chunk-<nnnn>.ourside.json`. */
export const ourSideRecordName = (contentName: string) => contentName.replace(/\.[a-z0-9]+$/, ".ourside.json");
