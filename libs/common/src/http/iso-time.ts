/** ISO-8601 UTC with a trailing Z and whole seconds, as the public documentation prints them. */
export function toIsoUtc(date: Date | string | null | undefined): string | null {
  if (date === null || date === undefined) {
    return null;
  }
  const value = typeof date === 'string' ? new Date(date) : date;
  return value.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
