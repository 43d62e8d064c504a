import { simpleParser } from 'mailparser';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAIL_QUEUE, MailService } from '@app/mail';
import { startTestApp, TEST_JWT_SECRET, TEST_KEY_V1 } from '../harness/test-app';
import { inTransaction, jobRow, jobsOf } from './job-helpers';

const ROOT = join(__dirname, '..', '..');

/** Without SMTP_URL: development writes mails to DATA_DIR/outbox; production refuses to start (§9). */
describe('mail without SMTP_URL', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'entryguard-outbox-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('writes each mail as an .eml file under <DATA_DIR>/outbox, and the log says where', async () => {
    const t = await startTestApp({ DATA_DIR: dataDir });
    try {
      const token = randomBytes(16).toString('hex');
      const link = `http://localhost:3000/set-password?token=${token}`;
      const id = await inTransaction(t, () =>
        t.app.get(MailService).send({
          to: 'new.admin@acme.example',
          subject: 'Reset your password',
          text: `Reset it here: ${link}`,
          html: `<a href="${link}">Reset it</a>`,
        }),
      );
      await jobsOf(t).runOnce(MAIL_QUEUE);

      const file = join(dataDir, 'outbox', `${id}.eml`);
      expect(existsSync(file)).toBe(true);
      expect(statSync(file).mode & 0o077).toBe(0);
      const mail = await simpleParser(readFileSync(file));
      expect(mail.subject).toBe('Reset your password');
      expect(mail.to && !Array.isArray(mail.to) ? mail.to.text : '').toBe('new.admin@acme.example');
      expect(mail.from?.value).toEqual([{ name: 'EntryGuard', address: 'no-reply@localhost' }]);
      expect(mail.text?.trim()).toBe(`Reset it here: ${link}`);
      expect(mail.html).toContain(`href="${link}"`);
      expect(await jobRow(t.db, id)).toMatchObject({ status: 'DONE', payload: {} });
      expect(t.logs.join('')).toContain(`mail job ${id} written to ${file}`);
    } finally {
      await t.close();
    }
  });

  it('refuses to boot in production without SMTP_URL, naming the variable', async () => {
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      NODE_ENV: 'production',
      JWT_SECRET: TEST_JWT_SECRET,
      CREDENTIAL_ENCRYPTION_KEYS: `1:${TEST_KEY_V1}`,
      DATA_DIR: dataDir,
      PORT: '0',
      HOST: '127.0.0.1',
      TS_NODE_TRANSPILE_ONLY: 'true',
    };
    const child = spawn(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', 'apps/api/src/main.ts'],
      {
        cwd: ROOT,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', (exitCode) => resolve(exitCode)));
    expect(code).toBe(1);
    expect(output).toContain('Invalid configuration: SMTP_URL is required in production');
    expect(output).not.toContain('listening');
  });
});
