import { types } from 'pg';
import { toIsoUtc } from '@app/common';
import { parseTimestamptz } from './timestamptz';

const defaultParser = types.getTypeParser(1184, 'text') as (value: string) => Date | number | null;
const time = (value: Date | number | null) => (value instanceof Date ? value.getTime() : value);

describe("parseTimestamptz: the same value as pg's default parser, by position", () => {
  it.each([
    '2026-11-30 06:39:32+00',
    '2026-11-30 06:39:32.5+00',
    '2026-11-30 06:39:32.05+00',
    '2026-11-30 06:39:32.123+00',
    '2026-11-30 06:39:32.123456+00',
    '2026-11-30 06:39:32.999999+00',
    '2026-11-30 06:39:32+05:30',
    '2026-11-30 06:39:32.25-03',
    '2026-11-30 06:39:32-09:30',
    '2026-11-30 06:39:32+00:00:00',
    '1901-12-13 20:45:52+05:53:28',
    '2024-02-29 23:59:59.999+14',
    '0999-01-01 00:00:00+00',
    '0044-03-15 12:00:00+00 BC',
    'infinity',
    '-infinity',
  ])('%s', (value) => {
    expect(time(parseTimestamptz(value))).toEqual(time(defaultParser(value)));
  });
});

describe('toIsoUtc: toISOString() without milliseconds', () => {
  it('agrees on every year form and both sides of a second', () => {
    const samples = [0, 1, 999, 1_000, 86_399_999, 951_782_400_000, 1_764_484_772_123, 253_402_300_799_999, -62_135_596_800_000, -1];
    for (const ms of samples) {
      const date = new Date(ms);
      expect(toIsoUtc(date)).toBe(date.toISOString().replace(/\.\d{3}Z$/, 'Z'));
    }
  });
});
