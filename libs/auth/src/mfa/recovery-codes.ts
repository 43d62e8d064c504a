import { randomInt } from 'node:crypto';

/** §11: 8 codes of 8 lower-case letters and digits (about 41 bits each), shown once. */
export const RECOVERY_CODE_COUNT = 8;
const RECOVERY_CODE_LENGTH = 8;
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const RECOVERY_CODE = /^[a-z0-9]{8}$/;

export function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () =>
    Array.from({ length: RECOVERY_CODE_LENGTH }, () => ALPHABET[randomInt(ALPHABET.length)]).join(''),
  );
}

/**
 * What a person typed, as codes are compared: without spaces or hyphens (apps and people group
 * digits), lower-case (recovery codes are case-insensitive).
 */
export function normalizeCode(code: string): string {
  return code.replace(/[\s-]/g, '').toLowerCase();
}

export function isRecoveryCodeShaped(normalized: string): boolean {
  return RECOVERY_CODE.test(normalized);
}
