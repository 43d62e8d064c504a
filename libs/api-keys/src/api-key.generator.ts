import { randomBytes } from 'node:crypto';
import { API_KEY_PREFIX } from '@app/auth';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** 43 base62 characters hold 43 * log2(62) = 256.03 bits (§15). */
export const API_KEY_RANDOM_LENGTH = 43;
/** The public part shown in lists and audit rows: `egk_live_` and the first 6 random characters. */
export const API_KEY_PREFIX_LENGTH = 15;
/** The largest multiple of 62 that fits in a byte: bytes from 248 up are dropped, so every character is equally likely. */
const UNBIASED_LIMIT = 248;

/** `length` base62 characters from the system's secure random source, by rejection sampling. */
export function randomBase62(length: number, random: (size: number) => Buffer = randomBytes): string {
  let out = '';
  while (out.length < length) {
    // About 3% of bytes are rejected: one draw with a little to spare usually suffices.
    for (const byte of random(length - out.length + 8)) {
      if (byte < UNBIASED_LIMIT && out.length < length) {
        out += BASE62[byte % 62];
      }
    }
  }
  return out;
}

/** A new key: `egk_live_` + 43 base62 characters, and its public prefix. */
export function generateApiKey(): { key: string; prefix: string } {
  const key = `${API_KEY_PREFIX}${randomBase62(API_KEY_RANDOM_LENGTH)}`;
  return { key, prefix: key.slice(0, API_KEY_PREFIX_LENGTH) };
}
