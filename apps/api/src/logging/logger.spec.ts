import { Writable } from 'node:stream';
import { createRootLogger } from './logger';

function capture() {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString('utf8'));
      callback();
    },
  });
  return { logger: createRootLogger('info', sink), lines };
}

describe('root logger redaction', () => {
  it('never writes authorization headers, passwords, tokens or credential data', () => {
    const { logger, lines } = capture();
    logger.info(
      {
        req: { headers: { authorization: 'Bearer eyJ.secret.token', 'x-api-key': 'egk_live_secret', cookie: 'sid=secret' } },
        body: { password: 'hunter2-secret', refreshToken: 'refresh-secret', credentialData: { secretAccessKey: 'aws-secret' } },
        credentialData: { adminKey: 'apisix-secret' },
        err: { message: 'insert failed', parameters: ['param-secret'] },
      },
      'request',
    );
    const line = lines.join('');
    expect(line).toContain('[REDACTED]');
    expect(line).not.toMatch(/secret/);
    expect(JSON.parse(line)).toMatchObject({ msg: 'request', service: 'entryguard-api' });
  });
});
