import { createHash, createSecretKey, KeyObject, randomBytes, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import * as jwt from 'jsonwebtoken';
import { Role } from '@app/common';
import { AUTH_OPTIONS, AuthOptions, JWT_ALGORITHM, JWT_AUDIENCE, JWT_ISSUER } from '../auth-options';

export interface AccessTokenClaims {
  sub: string;
  org: string;
  role: Role;
}

@Injectable()
export class TokenService {
  private readonly key: KeyObject;

  constructor(@Inject(AUTH_OPTIONS) private readonly options: AuthOptions) {
    this.key = createSecretKey(Buffer.from(options.jwtSecret, 'utf8'));
  }

  get accessTtlSeconds(): number {
    return this.options.accessTtlSeconds;
  }

  signAccessToken(claims: AccessTokenClaims): string {
    return jwt.sign({ org: claims.org, role: claims.role }, this.key, {
      algorithm: JWT_ALGORITHM,
      subject: claims.sub,
      issuer: JWT_ISSUER,
      audience: JWT_AUDIENCE,
      expiresIn: this.options.accessTtlSeconds,
      jwtid: randomUUID(),
    });
  }

  /** 256 random bits for the client; only the SHA-256 is stored. */
  newRefreshToken(): { token: string; hash: string; expiresAt: Date } {
    const token = randomBytes(32).toString('base64url');
    return { token, hash: hashRefreshToken(token), expiresAt: new Date(Date.now() + this.options.refreshTtlSeconds * 1000) };
  }
}

export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
