import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTransport, type NodemailerError, type SendMailOptions, type Transporter } from 'nodemailer';
import { PermanentJobError } from '@app/jobs';
import { MailMessage, recipientDomain } from './mail-message';
import { MAIL_SETTINGS, MailSettings } from './mail-settings';

/** A down or silent server must not hold a worker for nodemailer's defaults (2 minutes and more). */
const SMTP_TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 };

/**
 * What a failed delivery may say: nodemailer's codes and the SMTP reply code, never the server's
 * text (which can echo addresses) nor the message. A permanent refusal (5xx) is not retried.
 */
export function deliveryError(error: unknown): Error {
  const e = (error ?? {}) as NodemailerError;
  const detail = [e.code, e.originalCode, e.timeoutType, e.responseCode].filter((part) => part !== undefined && part !== '');
  const message = `SMTP delivery failed${detail.length ? ` (${detail.join(' ')})` : ''}`;
  return e.permanent === true ? new PermanentJobError(message) : new Error(message);
}

/**
 * Hands a mail to the SMTP server (SMTP_URL), or, in development without one, writes it as
 * `<DATA_DIR>/outbox/<job id>.eml`: the same bytes a server would have received.
 */
@Injectable()
export class MailTransport implements OnApplicationShutdown {
  private readonly logger = new Logger('MailTransport');
  private readonly transport: Transporter;

  constructor(@Inject(MAIL_SETTINGS) private readonly settings: MailSettings) {
    this.transport = settings.smtpUrl
      ? createTransport({ url: settings.smtpUrl, ...SMTP_TIMEOUTS })
      : createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
  }

  /**
   * The Message-ID comes from the job id: a mail sent twice (the worker died between sending and
   * recording it) carries the same Message-ID, which lets mail systems drop the duplicate.
   */
  async send(jobId: string, message: MailMessage): Promise<void> {
    const mail: SendMailOptions = {
      from: this.settings.from,
      to: message.to,
      subject: message.subject,
      text: message.text,
      ...(message.html ? { html: message.html } : {}),
      messageId: `<${jobId}@${recipientDomain(addressOf(this.settings.from))}>`,
    };
    if (!this.settings.smtpUrl) {
      await this.writeToOutbox(jobId, mail);
      return;
    }
    try {
      await this.transport.sendMail(mail);
    } catch (error) {
      throw deliveryError(error);
    }
    this.logger.log(`mail job ${jobId} sent to a recipient at ${recipientDomain(message.to)}`);
  }

  onApplicationShutdown(): void {
    this.transport.close();
  }

  private async writeToOutbox(jobId: string, mail: SendMailOptions): Promise<void> {
    const info = (await this.transport.sendMail(mail)) as { message: Buffer };
    await mkdir(this.settings.outboxDir, { recursive: true, mode: 0o700 });
    // Named by job: a retry overwrites its own file rather than writing a second copy.
    const file = join(this.settings.outboxDir, `${jobId}.eml`);
    await writeFile(file, info.message, { mode: 0o600 });
    this.logger.log(`mail job ${jobId} written to ${file} (no SMTP_URL: development outbox)`);
  }
}

function addressOf(from: string): string {
  const match = /<([^>]+)>\s*$/.exec(from);
  return match ? match[1] : from.trim();
}
