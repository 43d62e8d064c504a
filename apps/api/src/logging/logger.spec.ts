import { Writable } from 'node:stream';
import { chooseLogFormat, createRootLogger, type LogFormat, PinoNestLogger } from './logger';

function capture(format?: LogFormat) {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString('utf8'));
      callback();
    },
  });
  return { logger: createRootLogger('info', sink, format), lines };
}

const SECRETS = {
  req: { headers: { authorization: 'Bearer eyJ.secret.token', 'x-api-key': 'egk_live_secret', cookie: 'sid=secret' } },
  body: { password: 'hunter2-secret', refreshToken: 'refresh-secret', credentialData: { secretAccessKey: 'aws-secret' } },
  credentialData: { adminKey: 'apisix-secret' },
  err: { message: 'insert failed', parameters: ['param-secret'] },
};

describe('root logger redaction', () => {
  it('never writes authorization headers, passwords, tokens or credential data', () => {
    const { logger, lines } = capture();
    logger.info(SECRETS, 'request');
    const line = lines.join('');
    expect(line).toContain('[REDACTED]');
    expect(line).not.toMatch(/secret/);
    expect(JSON.parse(line)).toMatchObject({ msg: 'request', service: 'entryguard-api' });
  });

  it('redacts the same when pretty-printing', () => {
    const { logger, lines } = capture('pretty');
    logger.info(SECRETS, 'request');
    const text = lines.join('');
    expect(text).toContain('request');
    expect(text).toContain('[REDACTED]');
    expect(text).not.toMatch(/secret|hunter2|eyJ/);
  });
});

describe('log format', () => {
  it.each([
    ['development', true, 'pretty'],
    [undefined, true, 'pretty'],
    ['development', false, 'json'],
    ['development', undefined, 'json'],
    ['production', true, 'json'],
    ['test', true, 'json'],
    ['production', false, 'json'],
  ] as const)('NODE_ENV=%s, stdout a TTY: %s -> %s', (nodeEnv, isTTY, expected) => {
    expect(chooseLogFormat(nodeEnv, isTTY)).toBe(expected);
  });

  it('JSON is one object per line, with the service name', () => {
    const { logger, lines } = capture('json');
    logger.info({ port: 3000 }, 'EntryGuard API listening');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0])).toMatchObject({ level: 30, msg: 'EntryGuard API listening', port: 3000, service: 'entryguard-api' });
  });

  it('pretty is one plain line per entry: time, level, [Nest context], message', () => {
    const { logger, lines } = capture('pretty');
    new PinoNestLogger(logger).log('Nest application successfully started', 'NestApplication');
    logger.warn({ statusCode: 404 }, 'not found');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: \[NestApplication\] Nest application successfully started\n$/);
    expect(lines[1]).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] WARN: not found \{"statusCode":404\}\n$/);
    expect(lines.join('')).not.toMatch(/entryguard-api|hostname|pid/);
  });
});
