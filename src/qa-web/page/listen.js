// Listening per speaker: the <audio> element's sound through Web Audio —
//   MediaElementAudioSourceNode → ChannelSplitterNode (one output per channel of the unmixed WAV)
//   → a GainNode per channel and ear → ChannelMergerNode (left, right) → the speakers.
// The element still fetches, seeks and plays by itself (Range requests, tickets, one chunk after the other):
// Web Audio only takes its output. The graph is built on the reviewer's first choice of a speaker — a user
// gesture, so the browser lets the AudioContext run — and until then the element plays exactly as it always
// did. Once built it stays: an element can be given to Web Audio only once.
/* global AudioContext */

/** Gain changes glide over ~15 ms instead of clicking. */
const GLIDE_SECONDS = 0.015;

/**
 * Splitter → gains → merger for one channel count.
 * @typedef {{ splitter: ChannelSplitterNode, gains: GainNode[][], merger: ChannelMergerNode }} Split
 */

/**
 * `player`: the page's <audio> element.
 * @param {HTMLMediaElement} player
 */
export function createSpeakerRouting(player) {
  /** @type {AudioContext | undefined} */
  let context;
  /** @type {MediaElementAudioSourceNode | undefined} */
  let source;
  /** @type {Split | undefined} */
  let split;

  /**
   * @param {AudioContext} audio
   * @param {number} channels
   * @returns {Split}
   */
  function buildSplit(audio, channels) {
    const splitter = audio.createChannelSplitter(channels);
    const merger = audio.createChannelMerger(2);
    const gains = Array.from({ length: channels }, (_, channel) =>
      [0, 1].map((ear) => {
        const node = audio.createGain();
        node.gain.value = 0;
        splitter.connect(node, channel);
        node.connect(merger, 0, ear);
        return node;
      }),
    );
    merger.connect(audio.destination);
    return { splitter, gains, merger };
  }

  /** If the browser has suspended the context (it may, e.g. in a background tab), resume it: call on Play. */
  async function resume() {
    if (context?.state === "suspended") await context.resume();
  }

  return {
    /** Whether the graph exists (the reviewer has chosen a speaker once). */
    get built() {
      return context !== undefined;
    },

    /**
     * Routes the player's channels: `gains` is `[[left, right], …]` by channel (view.js `channelGains`), or null
     * for the element's own mix (audio that is not unmixed). The first call that routes (not null) builds the
     * graph: make it from a user gesture.
     * @param {readonly (readonly number[])[] | null} gains
     */
    async route(gains) {
      if (!context || !source) {
        if (gains === null) return;
        context = new AudioContext();
        source = context.createMediaElementSource(player);
      }
      source.disconnect();
      if (gains === null) {
        source.connect(context.destination);
      } else {
        if (split?.gains.length !== gains.length) {
          split?.merger.disconnect();
          split = buildSplit(context, gains.length);
        }
        source.connect(split.splitter);
        const { currentTime } = context;
        const nodes = split.gains;
        gains.forEach((ears, channel) =>
          ears.forEach((value, ear) => nodes[channel]?.[ear]?.gain.setTargetAtTime(value, currentTime, GLIDE_SECONDS)),
        );
      }
      await resume();
    },
    resume,
  };
}
