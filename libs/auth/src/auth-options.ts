export interface AuthOptions {
  jwtSecret: string;
  accessTtlSeconds: number;
  refreshTtlSeconds: number;
}
export const AUTH_OPTIONS = Symbol('AUTH_OPTIONS');

export const JWT_ISSUER = 'entryguard';
export const JWT_AUDIENCE = 'entryguard-api';
export const JWT_ALGORITHM = 'HS256';
