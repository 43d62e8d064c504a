import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ClsService } from 'nestjs-cls';
import { DueWorkJob } from '@app/common';
import { TxHost } from '@app/database';
import { ACCESS_SETTINGS, AccessSettings } from './access-settings';
import { SessionLifecycle } from './session-lifecycle';

/** Sessions ended at once per instance; a free slot claims the next expired one (so instances share a burst). */
const CONCURRENCY = 8;
/** What `runOnce` ends in one go. */
const BATCH = 100;

/**
 * Expiry is the server's job (§13): every JOBS_POLL_SECONDS each instance claims live sessions
 * past `expiresAt` and ends them, whether or not a client ever calls again. Claims keep instances
 * on separate sessions; `end` re-checks each under its lock, so it ends (and is audited) once.
 */
@Injectable()
export class SessionExpiryJob implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly job: DueWorkJob<{ id: string; organizationId: string }>;

  constructor(
    private readonly lifecycle: SessionLifecycle,
    private readonly txHost: TxHost,
    private readonly cls: ClsService,
    @Inject(ACCESS_SETTINGS) private readonly settings: AccessSettings,
  ) {
    this.job = new DueWorkJob({
      name: 'SessionExpiryJob',
      enabled: settings.jobsEnabled,
      intervalMs: settings.pollSeconds * 1000,
      batchSize: CONCURRENCY,
      cls,
      claim: (limit) => this.claim(limit),
      concurrency: CONCURRENCY,
      refill: true,
      process: async (session) => {
        await this.expire(session);
      },
    });
  }

  onApplicationBootstrap(): void {
    this.job.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.job.stop();
  }

  /** One round now, whatever JOBS_ENABLED says (tests). Returns how many sessions it ended. */
  runOnce(): Promise<number> {
    return this.cls.run({ ifNested: 'override' }, async () => {
      let ended = 0;
      for (const session of await this.claim(BATCH)) {
        if (await this.expire(session)) {
          ended += 1;
        }
      }
      return ended;
    });
  }

  private claim(limit: number): Promise<Array<{ id: string; organizationId: string }>> {
    return this.lifecycle.claimExpired(limit, this.settings.leaseSeconds);
  }

  private async expire(session: { id: string; organizationId: string }): Promise<boolean> {
    try {
      return await this.txHost.withTransaction(() => this.lifecycle.end(session.organizationId, session.id, 'EXPIRED'));
    } catch (error) {
      await this.lifecycle.unclaimExpiry(session.id).catch(() => undefined);
      throw error;
    }
  }
}
