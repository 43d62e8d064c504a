import { registerDecorator, ValidationOptions } from 'class-validator';

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,3})?(?:Z|([+-])(\d{2}):(\d{2}))$/;

const daysIn = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();

/**
 * §1's date parameters: `YYYY-MM-DD`, or `YYYY-MM-DDTHH:MM:SS[.fff]` with `Z` or `±HH:MM`, and a
 * real calendar date. Week and ordinal dates, basic format, a comma fraction and a time with no
 * offset (which would be read in the server's zone) are refused rather than parsed loosely.
 */
export function isApiDateTime(value: unknown): value is string {
  if (typeof value !== 'string') {
    return false;
  }
  const match = DATE_TIME.exec(value) ?? DATE.exec(value);
  if (!match) {
    return false;
  }
  const [year, month, day, hour = 0, minute = 0, second = 0] = match.slice(1, 7).map((part) => Number(part ?? 0));
  const offsetHours = match[8] ? Number(match[8]) : 0;
  const offsetMinutes = match[9] ? Number(match[9]) : 0;
  return (
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysIn(year, month) &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 59 &&
    offsetHours <= 14 &&
    offsetMinutes <= 59 &&
    !Number.isNaN(new Date(value).getTime())
  );
}

export function IsApiDateTime(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isApiDateTime',
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message: '$property must be YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS[.fff] with Z or ±HH:MM', ...options },
      validator: { validate: isApiDateTime },
    });
}
