import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { JobQueue } from '@app/jobs';
import { assertValidMail, MAIL_QUEUE, MailMessage } from './mail-message';
import { MAIL_SEALER, MailSealer } from './mail-sealer.port';
import { MAIL_SETTINGS, MailSettings } from './mail-settings';

/** A down SMTP server is retried with the queue's backoff (at most 5 minutes apart) for about two hours. */
export const MAIL_MAX_ATTEMPTS = 30;

/** What a mail job stores: the message sealed to the job id, nothing readable. */
export interface MailJobPayload {
  sealed: string;
}

@Injectable()
export class MailService {
  constructor(
    private readonly jobs: JobQueue,
    @Inject(MAIL_SEALER) private readonly sealer: MailSealer,
    @Inject(MAIL_SETTINGS) private readonly settings: MailSettings,
  ) {}

  /**
   * Queues a mail in the caller's transaction: it is sent if and only if the change that caused
   * it commits, and a slow or failing mail server never fails or delays the caller. Returns the
   * job id (the mail's Message-ID is derived from it).
   */
  async send(message: MailMessage): Promise<string> {
    assertValidMail(message);
    const id = randomUUID();
    const content = JSON.stringify({ to: message.to, subject: message.subject, text: message.text, html: message.html });
    const payload: MailJobPayload = { sealed: this.sealer.seal(content, id) };
    return this.jobs.enqueue(MAIL_QUEUE, { ...payload }, { id, maxAttempts: MAIL_MAX_ATTEMPTS });
  }

  /** A link into the web app: `link('/set-password', { token })` -> `<APP_URL>/set-password?token=...`. */
  link(path: string, query: Record<string, string> = {}): string {
    const url = new URL(`${this.settings.appUrl}${path.startsWith('/') ? path : `/${path}`}`);
    Object.entries(query).forEach(([key, value]) => url.searchParams.set(key, value));
    return url.toString();
  }
}
