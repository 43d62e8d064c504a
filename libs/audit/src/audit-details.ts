import { AUDIT_DETAIL_KEYS, AuditDetails } from './audit-event';

const ALLOWED = new Set<string>(AUDIT_DETAIL_KEYS);
const MAX_STRING = 300;

function cleanValue(value: unknown): string | number | boolean | null | string[] | undefined {
  if (value === null || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))) {
    return value;
  }
  if (typeof value === 'string') {
    return value.slice(0, MAX_STRING);
  }
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) {
    return value.slice(0, 50).map((item) => item.slice(0, MAX_STRING));
  }
  return undefined;
}

/** Keeps allow-listed keys with plain values; drops objects, unknown keys and anything nested. */
export function sanitizeAuditDetails(details: Record<string, unknown> | undefined): AuditDetails {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(details ?? {})) {
    if (!ALLOWED.has(key)) {
      continue;
    }
    const clean = cleanValue(value);
    if (clean !== undefined) {
      out[key] = clean;
    }
  }
  return out as AuditDetails;
}
