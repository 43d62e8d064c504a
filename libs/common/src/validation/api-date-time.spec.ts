import { isApiDateTime } from './api-date-time';

describe('isApiDateTime (§1 date parameters)', () => {
  it.each([
    '2024-01-01',
    '2024-02-29',
    '2024-01-01T10:00:00Z',
    '2024-01-01T10:00:00.5Z',
    '2024-01-01T10:00:00.250Z',
    '2024-01-01T10:00:00+02:00',
    '2024-12-31T23:59:59-05:30',
  ])('accepts %s', (value) => {
    expect(isApiDateTime(value)).toBe(true);
  });

  it.each([
    ['2024-W01', 'ISO week'],
    ['2024-W01-1', 'ISO week date'],
    ['2024-100', 'ordinal date'],
    ['20240101', 'basic format'],
    ['2024-01-01T10', 'hour only'],
    ['2024-01-01T10:00', 'no seconds'],
    ['2024-01-01T10:00:00', 'no offset'],
    ['2024-01-01T10:00:00,5Z', 'comma fraction'],
    ['2024-01-01T10:00:00.1234Z', 'more than milliseconds'],
    ['2023-02-29', 'not a leap year'],
    ['2024-04-31', 'no such day'],
    ['2024-13-01', 'no such month'],
    ['2024-01-01T24:00:00Z', 'hour 24'],
    ['2024-01-01T10:00:60Z', 'leap second'],
    ['2024-01-01t10:00:00z', 'lower-case designators'],
    [' 2024-01-01', 'leading space'],
    ['', 'empty'],
  ])('refuses %s (%s)', (value) => {
    expect(isApiDateTime(value)).toBe(false);
  });
});
