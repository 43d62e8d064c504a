import { randomBytes } from 'node:crypto';

/**
 * Passport keeps strategies in one registry per process. Each app instance registers its own
 * under names no other instance uses, so two apps in one process (tests) never answer for each
 * other; in production there is one app per process and the suffix is invisible.
 */
export interface StrategyNames {
  jwt: string;
}

export function uniqueStrategyNames(): StrategyNames {
  const suffix = randomBytes(4).toString('hex');
  return { jwt: `jwt:${suffix}` };
}

/** The order in which the authentication guard tries them. */
export function strategyOrder(names: StrategyNames): string[] {
  return [names.jwt];
}
