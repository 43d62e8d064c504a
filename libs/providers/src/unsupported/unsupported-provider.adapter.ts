import type { CloudProviderAdapter, ProviderName, ProviderOutcome, RuleListOutcome } from '../provider.types';
import { fail, type ProviderFailure } from '../shared/provider-outcome.util';

/**
 * Stands in for providers whose API calls are not built yet. It says so on every call rather
 * than pretending to succeed, so nothing is marked verified or opened that was not.
 */
export class UnsupportedProviderAdapter implements CloudProviderAdapter {
  constructor(readonly provider: ProviderName) {}

  verifyCredential(): Promise<ProviderOutcome> {
    return this.unsupported('Verification');
  }

  verifyResource(): Promise<ProviderOutcome> {
    return this.unsupported('Verification');
  }

  applyRules(): Promise<ProviderOutcome> {
    return this.unsupported('Opening access');
  }

  removeRules(): Promise<ProviderOutcome> {
    return this.unsupported('Closing access');
  }

  listRules(): Promise<RuleListOutcome> {
    return this.unsupported('Reading firewall rules');
  }

  private async unsupported(what: string): Promise<ProviderFailure> {
    return fail('UNSUPPORTED', `${what} for ${this.provider} is not supported yet`);
  }
}
