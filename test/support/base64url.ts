const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/**
 * Base64url text with its last character's lowest bit flipped: when the text's bytes are not a multiple of 3,
 * that bit is unused, and the other spelling decodes to the same bytes.
 */
export const sameBytesOtherText = (text: string) => text.slice(0, -1) + ALPHABET[ALPHABET.indexOf(text.at(-1)!) ^ 1];
