import { describe, expect, it } from "vitest";
import { chunkBlobNames, extensionFor, safeSegment } from "./naming.js";

describe("archive naming", () => {
  it.each([
    ["aHR0cHM6Ly9hcGk/Zm9v+YmFy==", "aHR0cHM6Ly9hcGk_Zm9v-YmFy"],
    ["plain-id_1.2", "plain-id_1.2"],
    ["with space", "with~20space"],
    // A whole segment of dots would be a path step in a blob URL (an id of ".." would climb out of its folder).
    [".", "~2E"],
    ["..", "~2E~2E"],
    ["...", "..."],
    ["a..b", "a..b"],
    // Only padding: the segment must not vanish (a//b).
    ["==", "~3D~3D"],
    ["", "~"],
  ])("safeSegment(%s) = %s", (input, expected) => {
    expect(safeSegment(input)).toBe(expected);
  });

  it.each([
    ["https://x.asm.skype.com/v1/objects/d/content/audiowavmultichannel", "wav"],
    ["https://x.asm.skype.com/v1/objects/d/content/audiomp3", "mp3"],
    ["https://x.asm.skype.com/v1/objects/d/content/video", "mp4"],
    ["https://x.asm.skype.com/v1/objects/d/content/other", "bin"],
  ])("extension of %s is %s", (url, ext) => {
    expect(extensionFor(url)).toBe(ext);
  });

  it("places chunks under team/date/call/recording", () => {
    const names = chunkBlobNames({
      teamId: "trading-desk",
      recordingStartTime: "2026-11-21T23:59:59.9Z",
      serverCallId: "c/1",
      recordingId: "r+1=",
      chunkIndex: 2,
      contentLocation: "https://x.asm.skype.com/v1/objects/d/content/audiowav",
    });
    expect(names).toEqual({
      content: "trading-desk/2026/11/21/c_1/r-1/chunk-0002.wav",
      metadata: "trading-desk/2026/11/21/c_1/r-1/chunk-0002.acsmetadata.json",
    });
  });

  it.each([
    ["no team", undefined, "c"],
    ["no call", "trading-desk", undefined],
  ])("files a recording with %s under the quarantine area, by its own key", (_name, teamId, serverCallId) => {
    const names = chunkBlobNames({
      teamId,
      recordingStartTime: "not a date",
      serverCallId,
      recordingId: "doc-0-eus-d1/x",
      chunkIndex: 0,
      contentLocation: "https://x.asm.skype.com/v1/objects/d/content/audiowav",
    });
    expect(names.content).toBe("_quarantine/1970/01/01/doc-0-eus-d1_x/chunk-0000.wav");
  });
});
