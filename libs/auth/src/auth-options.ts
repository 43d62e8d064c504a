import type { ModuleMetadata, Type } from '@nestjs/common';
import type { MfaSecretSealer } from './mfa/mfa-secret-sealer.port';

export interface AuthOptions {
  jwtSecret: string;
  accessTtlSeconds: number;
  refreshTtlSeconds: number;
  /** The app's implementation of the MfaSecretSealer port (the credential keyring), and the modules it needs. */
  mfaSecretSealer: { imports?: ModuleMetadata['imports']; useClass: Type<MfaSecretSealer> };
}
export const AUTH_OPTIONS = Symbol('AUTH_OPTIONS');

export const JWT_ISSUER = 'entryguard';
export const JWT_AUDIENCE = 'entryguard-api';
export const JWT_ALGORITHM = 'HS256';
