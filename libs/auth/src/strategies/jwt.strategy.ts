import { createSecretKey } from 'node:crypto';
import { OnModuleDestroy, Type } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import passport from 'passport';
import { Strategy } from 'passport-jwt';
import type { FastifyRequest } from 'fastify';
import { UserPrincipal } from '@app/common';
import { AuthOptions, JWT_ALGORITHM, JWT_AUDIENCE, JWT_ISSUER } from '../auth-options';
import { UserRepository } from '../users/user.repository';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** RFC 7235: the scheme name is case-insensitive; the token must be a compact JWS. */
const BEARER = /^bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)$/i;

export function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  return (typeof header === 'string' && BEARER.exec(header)?.[1]) || null;
}

interface AccessClaims {
  sub?: unknown;
  org?: unknown;
  exp?: unknown;
}

export interface JwtStrategyInstance {
  validate(claims: AccessClaims): Promise<UserPrincipal | false>;
}

/**
 * The passport-jwt strategy for access tokens, registered under this app's own name.
 * passport-jwt checks the signature with HS256 only (no `none`, no RS/HS confusion), issuer,
 * audience, expiry and not-before; `validate` requires the claims we rely on and that the user
 * still exists, is active and belongs to the organization the token names, so a deleted or
 * deactivated user's token stops working on the next request. A failure is `false`, never a
 * message: the guard answers every one with the same 401.
 */
export function jwtStrategyClass(name: string): Type<JwtStrategyInstance> {
  class JwtAccessStrategy extends PassportStrategy(Strategy, name) implements OnModuleDestroy {
    constructor(
      options: AuthOptions,
      private readonly users: UserRepository,
    ) {
      super({
        jwtFromRequest: bearerToken,
        // A KeyObject, not a string: jsonwebtoken would otherwise try to parse it as a public key
        // per call. passport-jwt hands it to jsonwebtoken untouched; its typings only say less.
        secretOrKey: createSecretKey(Buffer.from(options.jwtSecret, 'utf8')) as unknown as Buffer,
        algorithms: [JWT_ALGORITHM],
        issuer: JWT_ISSUER,
        audience: JWT_AUDIENCE,
        ignoreExpiration: false,
      });
    }

    async validate(claims: AccessClaims): Promise<UserPrincipal | false> {
      const { sub, org, exp } = claims;
      if (typeof exp !== 'number' || typeof sub !== 'string' || typeof org !== 'string' || !UUID.test(sub) || !UUID.test(org)) {
        return false;
      }
      const user = await this.users.findActiveRole(org, sub);
      if (!user) {
        return false;
      }
      return {
        kind: 'user',
        userId: sub,
        organizationId: org,
        role: user.role,
        email: user.email,
        mfaSetupRequired: user.mfa_setup_required,
      };
    }

    onModuleDestroy(): void {
      passport.unuse(name);
    }
  }
  return JwtAccessStrategy;
}
