import fc from 'fast-check';

/**
 * Generators for the fuzzing spec. A generated body is either a JS value (sent as JSON) or a
 * string (sent as raw request text). Values that JSON.stringify cannot express (numbers beyond
 * a double, deep nesting) travel as RAW markers and are spliced in by `serialize`.
 */
const RAW = '\u0001RAW:';
/** Replaced, at send time, by the live refresh token (it rotates on every success). */
export const LIVE_REFRESH = '$LIVE_REFRESH$';

export function serialize(body: unknown): string | undefined {
  if (body === undefined) return undefined;
  if (typeof body === 'string') return body;
  const text = JSON.stringify(body);
  if (text === undefined) return undefined;
  return text.replace(/"\\u0001RAW:((?:[^"\\]|\\.)*)"/g, (_m, inner: string) => JSON.parse(`"${inner}"`));
}

const raw = (literal: string) => `${RAW}${literal}`;

/** Percent-encodes any string, lone surrogates included (encodeURIComponent throws on those). */
export function pct(text: string): string {
  return [...Buffer.from(text, 'utf8')]
    .map((b) =>
      /[A-Za-z0-9\-_.~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`,
    )
    .join('');
}

export const controlString = fc.string({ unit: fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c)), maxLength: 12 });

export const weirdString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  controlString,
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.constantFrom(
    '\u0000',
    'a\u0000b',
    '\ud800',
    'x\udfffy',
    '\udfff\ud800',
    'ok\u0000',
    '\u202e',
    '\ufeff',
    '\u2028',
    "'; DROP TABLE credentials; --",
    "' OR '1'='1",
    '%00',
    '../../etc/passwd',
    '${jndi:ldap://x/a}',
    '{{7*7}}',
    '<script>alert(1)</script>',
    ' ',
    '',
    'null',
    '0',
    '-1',
    'AKIA0000000000000000',
    'sg-0123456789abcdef0',
    'service_account',
    '-----BEGIN PRIVATE KEY-----',
    'http://169.254.169.254/',
  ),
  fc.string({ minLength: 190, maxLength: 520 }),
  fc.integer({ min: 4000, max: 70_000 }).map((n) => 'x'.repeat(n)),
);

const hugeNumber = fc
  .oneof(
    fc.constantFrom('1e309', '-1e309', '9'.repeat(400), '1e-400', '123456789012345678901234567890', '-0', '1E+2', '0.1e1'),
    fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }).map(String),
  )
  .map(raw);

/** Deep nesting, up to far past the service's limit (MAX_JSON_DEPTH): refused with 400, never a 500. */
export const MAX_FUZZ_DEPTH = 5000;
const deepArray = fc.integer({ min: 2, max: MAX_FUZZ_DEPTH }).map((d) => raw('['.repeat(d) + ']'.repeat(d)));
const deepObject = fc.integer({ min: 2, max: MAX_FUZZ_DEPTH }).map((d) => raw('{"a":'.repeat(d) + '1' + '}'.repeat(d)));

export const keyArb = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom(
    '__proto__',
    'constructor',
    'prototype',
    'toString',
    'hasOwnProperty',
    'organizationId',
    'id',
    'isOrgAdmin',
    'role',
    'name',
    '',
  ),
);

const scalar = fc.oneof(
  weirdString,
  fc.double(),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  hugeNumber,
  fc.uuid(),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
);

export const valueArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: scalar },
  { weight: 2, arbitrary: fc.anything({ maxDepth: 2, maxKeys: 4 }) },
  { weight: 1, arbitrary: fc.array(scalar, { maxLength: 5 }) },
  { weight: 1, arbitrary: fc.dictionary(keyArb, scalar, { maxKeys: 4 }) },
  { weight: 1, arbitrary: deepArray },
  { weight: 1, arbitrary: deepObject },
);

type Json = Record<string, unknown>;

function objectPaths(value: unknown, prefix: string[] = []): string[][] {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return [];
  const out: string[][] = [prefix];
  for (const [key, child] of Object.entries(value)) {
    out.push([...prefix, key], ...objectPaths(child, [...prefix, key]).slice(1));
  }
  return out;
}

const mutationArb = fc.record({ kind: fc.constantFrom('drop', 'replace', 'replace', 'add'), pick: fc.nat(), key: keyArb, value: valueArb });

/** A valid body with 0-3 fields dropped, replaced by wrong or hostile values, or added. */
export function mutatedBody(valids: Json[]): fc.Arbitrary<Json> {
  return fc.tuple(fc.constantFrom(...valids), fc.array(mutationArb, { maxLength: 3 })).map(([valid, mutations]) => {
    const body = structuredClone(valid);
    for (const m of mutations) {
      const paths = objectPaths(body);
      const path = paths[m.pick % paths.length];
      const parentPath = m.kind === 'add' ? path : path.slice(0, -1);
      let parent: any = body;
      for (const key of parentPath) parent = parent?.[key];
      if (!parent || typeof parent !== 'object' || Array.isArray(parent)) continue;
      if (m.kind === 'drop' && path.length) delete parent[path[path.length - 1]];
      else if (m.kind === 'replace' && path.length) parent[path[path.length - 1]] = m.value;
      else if (m.kind === 'add')
        Object.defineProperty(parent, m.key, { value: m.value, enumerable: true, writable: true, configurable: true });
    }
    return body;
  });
}

/** Anything at all, garbage JSON text, hostile objects, and (mostly) mutations of valid bodies. */
export function bodyArb(valids: Json[]): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 2, arbitrary: fc.anything({ maxDepth: 3 }) },
    { weight: 2, arbitrary: fc.object({ maxDepth: 2, key: keyArb, values: [scalar] }) },
    { weight: 1, arbitrary: fc.json({ maxDepth: 3 }) },
    { weight: 1, arbitrary: weirdString },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '{',
        '{"a":1,}',
        '[1,2',
        '{"__proto__":{"isAdmin":true}}',
        '{"constructor":{"prototype":{"x":1}}}',
        'undefined',
        'NaN',
        '\u0000',
        '{"name":"\\ud800"}',
      ),
    },
    { weight: 1, arbitrary: fc.oneof(hugeNumber, deepArray, deepObject) },
    { weight: 8, arbitrary: mutatedBody(valids) },
  );
}

/** Mostly null (application/json), sometimes another or a broken content type. */
export const contentTypeArb: fc.Arbitrary<string | null> = fc.oneof(
  { weight: 12, arbitrary: fc.constant(null) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/json; charset=utf-16',
      'application/json-patch+json',
      'application/xml',
      '',
    ),
  },
);

const queryValue = fc.oneof(
  fc.constantFrom(
    '-1',
    '0',
    '1',
    '20',
    '100',
    '101',
    '1000001',
    '1e3',
    '1.5',
    'NaN',
    'Infinity',
    '0x10',
    '9'.repeat(30),
    '',
    'true',
    'null',
    '[]',
  ),
  fc.constantFrom(
    '2024-01-01T00:00:00Z',
    '2024-02-30T00:00:00Z',
    '2024-01-01',
    'not-a-date',
    '2024-01-01T00:00:00+25:00',
    '99999-01-01T00:00:00Z',
    '0000-00-00',
    // The review's 500s (finding 2): week, ordinal and basic forms, an hour alone, a comma fraction.
    '2024-W01',
    '2024-W01-1',
    '2024-100',
    '20240101',
    '2024-01-01T10',
    '2024-01-01T10:00:00,5Z',
    '2024-01-01T10:00:00',
  ),
  fc.constantFrom('AWS', 'GCP', 'aws', 'USER_LOGIN', 'SUCCESS', 'FAILURE', 'CREDENTIAL', 'a@b.test', '%', '%zz', '%00', '&', '=', '#'),
  fc.uuid(),
  fc.integer().map(String),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  weirdString.map((s) => s.slice(0, 600)),
);

/** A query string: known and unknown keys, repeated keys, bracket syntax, hostile values (and `knownValues`, if given). */
export function queryArb(knownKeys: string[], knownValues: string[] = []): fc.Arbitrary<string> {
  const key = fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom(...knownKeys) },
    { weight: 1, arbitrary: fc.constantFrom(...knownKeys).map((k) => `${k}[]`) },
    { weight: 1, arbitrary: fc.constantFrom(...knownKeys).map((k) => `${k}[a]`) },
    { weight: 1, arbitrary: keyArb },
  );
  const value = knownValues.length ? fc.oneof(queryValue, fc.constantFrom(...knownValues)) : queryValue;
  const pair = fc
    .tuple(key, value, fc.boolean())
    .map(([k, v, encoded]) => (encoded || !/^[\x21-\x7e]*$/.test(k + v) ? `${pct(k)}=${pct(v)}` : `${k}=${v}`));
  return fc.array(pair, { maxLength: 8 }).map((pairs) => (pairs.length ? `?${pairs.join('&')}` : ''));
}

/** Path ids: already in the form they are written into the URL. */
export const pathIdArb: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '%00',
    '..%2F..%2Fauth%2Fme',
    '..',
    '.',
    '%2e%2e',
    '%2e%2e%2f',
    'null',
    'undefined',
    '0',
    '-1',
    '%20',
    '%',
    '%zz',
    '%C0%AE',
    '*',
    '{id}',
    ':id',
    '00000000-0000-0000-0000-000000000000',
    'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF',
    '00000000-0000-0000-0000-00000000000g',
    '%E2%80%AE',
    "1'%20OR%20'1'%3D'1",
    '..%5C..%5C',
    'a%2Fb',
    '%F0%9F%92%A9',
  ),
  fc.uuid(),
  fc.uuid().map((u) => u.toUpperCase()),
  fc.uuid().map((u) => `${u}x`),
  fc.uuid().map((u) => `%20${u}`),
  fc.uuid().map((u) => u.replace(/-/g, '')),
  fc.uuid().map((u) => `{${u}}`),
  weirdString.map((s) => pct(s.slice(0, 300))).filter((s) => s.length > 0),
  fc.string({ unit: 'grapheme-ascii', minLength: 100, maxLength: 2500 }).map(pct),
  fc.string({ unit: 'binary', minLength: 50, maxLength: 400 }).map(pct),
);
