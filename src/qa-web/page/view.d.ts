// Types of view.js (plain JavaScript, served to the browser as is) for its tests.

export declare const OUTCOMES: readonly string[];
export declare const PAGE_SIZE: number;

export interface FilterFields {
  from?: string;
  to?: string;
  participant?: string;
  serverCallId?: string;
  outcome?: string;
  minDuration?: string;
  maxDuration?: string;
  team?: string;
}
export declare function listQuery(
  fields: FilterFields,
  page?: { limit?: number; cursor?: string | null },
): { ok: true; query: string } | { ok: false; problems: string[] };
export declare function needsMore(
  shown: number,
  nextCursor: string | null | undefined,
  requestsMade: number,
  options?: { wanted?: number; budget?: number },
): boolean;
export declare function formatDuration(totalSeconds: unknown): string;
export declare function formatBytes(bytes: unknown): string;
export declare function formatInstant(iso: unknown): string;
export declare function shortHash(hash: string | null | undefined): string;
export declare function channelRows(
  channelMap: readonly { participantId: string; channel: number | null }[] | undefined,
): { channel: string; participant: string }[];

export interface VerificationReport {
  recordingId?: string;
  ok: boolean;
  verifiedAt?: string;
  manifest?: { ok: boolean; actualSha256?: string | null };
  chunks?: {
    index: number;
    ok: boolean;
    actual?: { sha256: string; sizeBytes: number } | null;
    problems?: string[];
  }[];
}
export declare function verificationView(report: VerificationReport): {
  ok: boolean;
  summary: string;
  rows: { item: string; ok: boolean; details: string }[];
};

export declare const MAX_CHANNELS: number;
export interface SpeakerChoice {
  value: string;
  channel: number | null;
  label: string;
  status: string;
}
export declare function speakerChoices(
  channelMap: readonly { participantId: string; channel: number | null }[] | undefined,
): { channels: number; choices: SpeakerChoice[] };
export declare function channelGains(channels: number, channel: number | null): [number, number][];
