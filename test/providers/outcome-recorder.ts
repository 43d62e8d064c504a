import type { CloudProviderAdapter, ProviderOutcome, RuleListOutcome } from '@app/providers';

export type AnyOutcome = ProviderOutcome | RuleListOutcome;

/**
 * Wraps an adapter so every outcome it returns is kept, letting a suite check all of them
 * (e.g. that no reason ever contains a secret) rather than only the ones a test looks at.
 */
export function recordOutcomes<T extends CloudProviderAdapter>(adapter: T, sink: AnyOutcome[]): T {
  for (const method of ['verifyCredential', 'verifyResource', 'applyRules', 'removeRules', 'listRules'] as const) {
    const original = adapter[method].bind(adapter) as (...args: unknown[]) => Promise<AnyOutcome>;
    Object.defineProperty(adapter, method, {
      value: async (...args: unknown[]) => {
        const outcome = await original(...args);
        sink.push(outcome);
        return outcome;
      },
    });
  }
  return adapter;
}
