import { OnModuleDestroy, Type } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import passport from 'passport';
import { Strategy } from 'passport-custom';
import type { FastifyRequest } from 'fastify';
import { ApiKeyPrincipal, clientAddress } from '@app/common';
import { ApiKeyLookup } from '../api-keys/api-key-lookup.port';
import { apiKeyHash, presentedApiKey } from '../api-keys/api-key.format';

export interface ApiKeyStrategyInstance {
  validate(request: FastifyRequest): Promise<ApiKeyPrincipal | false>;
}

/**
 * The second passport strategy (after the JWT one), registered under this app's own name. A
 * request without a well-formed key, or with one the lookup does not know as live, fails (no
 * message): the guard answers every failure with the same 401. Without a bound lookup (an app
 * built without the api-keys library) every key fails.
 */
export function apiKeyStrategyClass(name: string): Type<ApiKeyStrategyInstance> {
  class ApiKeyStrategy extends PassportStrategy(Strategy, name) implements OnModuleDestroy {
    constructor(private readonly lookup: ApiKeyLookup | undefined) {
      super();
    }

    async validate(request: FastifyRequest): Promise<ApiKeyPrincipal | false> {
      const key = presentedApiKey(request);
      if (!key || !this.lookup) {
        return false;
      }
      return (await this.lookup.authenticate(apiKeyHash(key), clientAddress(request))) ?? false;
    }

    onModuleDestroy(): void {
      passport.unuse(name);
    }
  }
  return ApiKeyStrategy;
}
