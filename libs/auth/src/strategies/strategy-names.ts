import { randomBytes } from 'node:crypto';

/**
 * Passport keeps strategies in one registry per process. Each app instance registers its own
 * under names no other instance uses, so two apps in one process (tests) never answer for each
 * other; in production there is one app per process and the suffix is invisible.
 */
export interface StrategyNames {
  jwt: string;
  apiKey: string;
}

export function uniqueStrategyNames(): StrategyNames {
  const suffix = randomBytes(4).toString('hex');
  return { jwt: `jwt:${suffix}`, apiKey: `api-key:${suffix}` };
}

/** The order in which the authentication guard tries them: access tokens first, then API keys. */
export function strategyOrder(names: StrategyNames): string[] {
  return [names.jwt, names.apiKey];
}
