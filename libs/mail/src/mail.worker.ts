import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { JobContext, JobQueue, PermanentJobError } from '@app/jobs';
import { MAIL_QUEUE, MailMessage } from './mail-message';
import { MAIL_SEALER, MailSealer } from './mail-sealer.port';
import { MailJobPayload } from './mail.service';
import { MailTransport } from './mail-transport';

/** Sends queued mails; the payload is blanked once the job is DONE or FAILED. */
@Injectable()
export class MailWorker implements OnModuleInit {
  constructor(
    private readonly jobs: JobQueue,
    private readonly transport: MailTransport,
    @Inject(MAIL_SEALER) private readonly sealer: MailSealer,
  ) {}

  onModuleInit(): void {
    this.jobs.process<MailJobPayload>(MAIL_QUEUE, (payload, context) => this.deliver(payload, context), {
      concurrency: 5,
      // Longer than the worst SMTP exchange (10 s connect + 10 s greeting + 30 s idle per step).
      leaseSeconds: 180,
      clearPayloadWhenFinished: true,
    });
  }

  /** Decrypted here, used for one send, never logged. */
  private async deliver(payload: MailJobPayload, context: JobContext): Promise<void> {
    if (typeof payload.sealed !== 'string') {
      throw new PermanentJobError('The mail job has no sealed message');
    }
    let message: MailMessage;
    try {
      message = JSON.parse(this.sealer.open(payload.sealed, context.id)) as MailMessage;
    } catch {
      throw new PermanentJobError('The mail could not be opened with the configured keys');
    }
    await this.transport.send(context.id, message);
  }
}
