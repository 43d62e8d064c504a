import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { UnauthorizedError, UserPrincipal } from '@app/common';
import { AUTH_OPTIONS, AuthOptions, JWT_ALGORITHM, JWT_AUDIENCE, JWT_ISSUER } from '../auth-options';
import { UserRepository } from '../users/user.repository';

interface AccessTokenPayload {
  sub?: unknown;
  org?: unknown;
  exp?: unknown;
  jti?: unknown;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Signature, algorithm, issuer, audience and expiry are checked by jsonwebtoken; the claims
 * we rely on must be present; and the user must still exist, be active and belong to the
 * organization the token names (a deleted organization's tokens stop working at once).
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    @Inject(AUTH_OPTIONS) options: AuthOptions,
    private readonly users: UserRepository,
  ) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKey: options.jwtSecret,
      algorithms: [JWT_ALGORITHM],
      issuer: JWT_ISSUER,
      audience: JWT_AUDIENCE,
      ignoreExpiration: false,
    });
  }

  async validate(payload: AccessTokenPayload): Promise<UserPrincipal> {
    if (
      typeof payload.exp !== 'number' ||
      typeof payload.sub !== 'string' ||
      typeof payload.org !== 'string' ||
      !UUID.test(payload.sub) ||
      !UUID.test(payload.org)
    ) {
      throw new UnauthorizedError();
    }
    const user = await this.users.findActiveRole(payload.org, payload.sub);
    if (!user) {
      throw new UnauthorizedError();
    }
    return { kind: 'user', userId: payload.sub, organizationId: payload.org, role: user.role, email: user.email };
  }
}
