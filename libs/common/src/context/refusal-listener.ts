import { DomainError } from '../errors/domain-error';

/**
 * Told about every request refused for a client reason (4xx), after the request's own
 * transaction has rolled back. The audit library uses it to record failed mutations.
 */
export interface RefusalListener {
  onRefused(error: DomainError): Promise<void>;
}
export const REFUSAL_LISTENER = Symbol('REFUSAL_LISTENER');
