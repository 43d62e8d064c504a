import type { ProviderFailureKind, ProviderOutcome, RuleListOutcome } from '../provider.types';

export type ProviderFailure = Extract<ProviderOutcome, { ok: false }>;

export function succeed(detail?: string): ProviderOutcome {
  return detail === undefined ? { ok: true } : { ok: true, detail };
}

export function fail(kind: ProviderFailureKind, reason: string): ProviderFailure {
  return { ok: false, kind, reason };
}

/**
 * Last line of defence: some reasons quote a provider's own message, and a provider could echo
 * request input back. Whatever happens upstream, a secret never leaves in a reason.
 */
export function withoutSecrets<T extends ProviderOutcome | RuleListOutcome>(outcome: T, secrets: Array<string | undefined>): T {
  if (outcome.ok) {
    return outcome;
  }
  let reason = outcome.reason;
  for (const secret of secrets) {
    // Very short values would blank out ordinary words and are not worth hiding anyway.
    if (secret && secret.length >= 8) {
      reason = withoutCutOffPrefix(reason.split(secret).join('[redacted]'), secret);
    }
  }
  return reason === outcome.reason ? outcome : ({ ...outcome, reason } as T);
}

/** A quoted message cut short ("…") may end in the first characters of a secret: drop them too. */
function withoutCutOffPrefix(reason: string, secret: string): string {
  const body = reason.endsWith('…') ? reason.slice(0, -1) : reason;
  for (let length = Math.min(secret.length - 1, body.length); length >= 4; length--) {
    if (body.endsWith(secret.slice(0, length))) {
      return `${body.slice(0, body.length - length)}[redacted]…`;
    }
  }
  return reason;
}

/** A provider's own message, made safe to show: one line, no markup, no URLs, bounded (§18). */
export function quoteProviderMessage(message: unknown, max = 200): string | undefined {
  if (typeof message !== 'string') {
    return undefined;
  }
  const line = message
    .replace(/<[^>]*>/g, ' ')
    .replace(/\b[a-z][a-z0-9+.-]*:\/\/\S*/gi, '[url]')
    .replace(/\s+/g, ' ')
    .trim();
  if (!line) {
    return undefined;
  }
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
