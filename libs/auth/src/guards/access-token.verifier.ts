import { createSecretKey, KeyObject } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import * as jwt from 'jsonwebtoken';
import { UnauthorizedError, UserPrincipal } from '@app/common';
import { AUTH_OPTIONS, AuthOptions, JWT_ALGORITHM, JWT_AUDIENCE, JWT_ISSUER } from '../auth-options';
import { UserRepository } from '../users/user.repository';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Signature, algorithm (HS256 only: no `none`, no RS/HS confusion), issuer, audience, expiry
 * and not-before are checked by jsonwebtoken; the claims we rely on must be present; and the
 * user must still exist, be active and belong to the organization the token names, so a
 * deleted organization's or user's tokens stop working at once.
 */
@Injectable()
export class AccessTokenVerifier {
  /** A KeyObject, not a string: jsonwebtoken otherwise tries to parse the secret as a public key on every call. */
  private readonly key: KeyObject;

  constructor(
    @Inject(AUTH_OPTIONS) options: AuthOptions,
    private readonly users: UserRepository,
  ) {
    this.key = createSecretKey(Buffer.from(options.jwtSecret, 'utf8'));
  }

  async verify(authorization: string | undefined): Promise<UserPrincipal> {
    const match = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)$/.exec(authorization ?? '');
    if (!match) {
      throw new UnauthorizedError();
    }
    let payload: jwt.JwtPayload;
    try {
      const decoded = jwt.verify(match[1], this.key, {
        algorithms: [JWT_ALGORITHM],
        issuer: JWT_ISSUER,
        audience: JWT_AUDIENCE,
      });
      if (typeof decoded === 'string') {
        throw new UnauthorizedError();
      }
      payload = decoded;
    } catch {
      throw new UnauthorizedError();
    }
    const { sub, org, exp } = payload as { sub?: unknown; org?: unknown; exp?: unknown };
    if (typeof exp !== 'number' || typeof sub !== 'string' || typeof org !== 'string' || !UUID.test(sub) || !UUID.test(org)) {
      throw new UnauthorizedError();
    }
    const user = await this.users.findActiveRole(org, sub);
    if (!user) {
      throw new UnauthorizedError();
    }
    return { kind: 'user', userId: sub, organizationId: org, role: user.role, email: user.email };
  }
}
