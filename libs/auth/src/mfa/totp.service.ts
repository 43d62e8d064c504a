import { Injectable } from '@nestjs/common';
import { generateSecret, generateURI, verifySync } from 'otplib';
import * as QRCode from 'qrcode';

/** §11: RFC 6238 with SHA-1, 6 digits and 30-second steps (otplib's defaults, said here once). */
export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_DIGITS = 6;
export const TOTP_ISSUER = 'EntryGuard';
/** 160 bits, the size RFC 4226 recommends for HMAC-SHA-1: 32 Base32 characters. */
const SECRET_BYTES = 20;
const TOTP_CODE = /^\d{6}$/;

/**
 * The TOTP arithmetic, through otplib (RFC 6238): new secrets, the otpauth:// URL and its QR code,
 * and checking a code with one step of drift either way. `nowSeconds` is the one clock it reads,
 * so tests can pin it to a step's edge instead of racing the wall clock.
 */
@Injectable()
export class TotpService {
  nowSeconds(): number {
    return Date.now() / 1000;
  }

  newSecret(): string {
    return generateSecret({ length: SECRET_BYTES });
  }

  /** otpauth://totp/EntryGuard:<account>?secret=...&issuer=EntryGuard, as authenticator apps read it. */
  otpauthUrl(secret: string, account: string): string {
    return generateURI({
      issuer: TOTP_ISSUER,
      label: account,
      secret,
      algorithm: 'sha1',
      digits: TOTP_DIGITS,
      period: TOTP_PERIOD_SECONDS,
    });
  }

  /** The PNG of the URL's QR code, as plain base64 (no data: prefix). */
  async qrCodeBase64(otpauthUrl: string): Promise<string> {
    const png = await QRCode.toBuffer(otpauthUrl, { type: 'png', errorCorrectionLevel: 'M', margin: 2, width: 256 });
    return png.toString('base64');
  }

  isTotpShaped(code: string): boolean {
    return TOTP_CODE.test(code);
  }

  /**
   * The time step `code` belongs to, if it is the code of the current step or of one step either
   * side, and later than `afterStep` (a step already accepted is spent: RFC 6238 §5.2). Undefined
   * otherwise. Constant-time comparison is otplib's.
   */
  matchingStep(secret: string, code: string, afterStep: number | null): number | undefined {
    if (!this.isTotpShaped(code)) {
      return undefined;
    }
    try {
      const result = verifySync({
        secret,
        token: code,
        epoch: this.nowSeconds(),
        period: TOTP_PERIOD_SECONDS,
        digits: TOTP_DIGITS,
        algorithm: 'sha1',
        // In seconds: one whole period either side is exactly the previous and the next step.
        epochTolerance: TOTP_PERIOD_SECONDS,
        ...(afterStep === null ? {} : { afterTimeStep: afterStep }),
      });
      // The union also covers HOTP's result, which has no time step.
      return result.valid && 'timeStep' in result ? result.timeStep : undefined;
    } catch {
      // otplib refuses an afterTimeStep beyond the window (a clock that went back): nothing matches.
      return undefined;
    }
  }
}
