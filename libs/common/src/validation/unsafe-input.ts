import { FieldError } from '../errors/domain-error';

/** NUL, or a UTF-16 surrogate without its partner: PostgreSQL cannot store either in text. */
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Names every object inherits. class-transformer skips some of them instead of letting the
 * whitelist refuse them, so they are refused here, at any depth, as the unknown fields they are.
 */
const BUILT_IN_NAMES = new Set(Object.getOwnPropertyNames(Object.prototype));

const MAX_DEPTH = 64;

/**
 * Walks a parsed body, query or path-parameter object and lists what no DTO may accept: strings
 * (values or keys) PostgreSQL cannot store, and keys named like built-in object properties.
 * Each problem names its field with the dotted path the other validation details use.
 */
export function findUnsafeInput(value: unknown, root = ''): FieldError[] {
  const problems: FieldError[] = [];
  walk(value, root, 0, problems);
  return problems;
}

function walk(value: unknown, path: string, depth: number, problems: FieldError[]): void {
  if (typeof value === 'string') {
    if (UNSTORABLE.test(value)) {
      problems.push({ field: path || 'value', message: 'must not contain NUL characters or unpaired UTF-16 surrogates' });
    }
    return;
  }
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) {
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, index) => walk(item, `${path}.${index}`.replace(/^\./, ''), depth + 1, problems));
    return;
  }
  for (const key of Object.keys(value)) {
    const field = path ? `${path}.${key}` : key;
    if (UNSTORABLE.test(key)) {
      problems.push({ field: printable(field), message: 'field names must not contain NUL characters or unpaired UTF-16 surrogates' });
      continue;
    }
    if (BUILT_IN_NAMES.has(key)) {
      problems.push({ field, message: `property ${key} should not exist` });
      continue;
    }
    walk((value as Record<string, unknown>)[key], field, depth + 1, problems);
  }
}

/** A field name that itself holds an unstorable character is shown with it escaped. */
function printable(field: string): string {
  return field.replace(/[\u0000\ud800-\udfff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
