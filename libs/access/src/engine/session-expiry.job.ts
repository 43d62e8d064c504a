import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ClsService } from 'nestjs-cls';
import { DueWorkJob } from '@app/common';
import { TxHost } from '@app/database';
import { ACCESS_SETTINGS, AccessSettings } from './access-settings';
import { SessionLifecycle } from './session-lifecycle';

const BATCH = 100;

/**
 * Expiry is the server's job (§13): every JOBS_POLL_SECONDS each instance ends the live sessions
 * past `expiresAt`, whether or not a client ever calls again. Two instances may pick the same
 * session; `end` re-checks it under its lock, so it ends (and is audited) once.
 */
@Injectable()
export class SessionExpiryJob implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly job: DueWorkJob<{ id: string; organizationId: string }>;

  constructor(
    private readonly lifecycle: SessionLifecycle,
    private readonly txHost: TxHost,
    private readonly cls: ClsService,
    @Inject(ACCESS_SETTINGS) settings: AccessSettings,
  ) {
    this.job = new DueWorkJob({
      name: 'SessionExpiryJob',
      enabled: settings.jobsEnabled,
      intervalMs: settings.pollSeconds * 1000,
      batchSize: BATCH,
      cls,
      claim: (limit) => this.lifecycle.expiredSessions(limit),
      concurrency: 4,
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
      for (const session of await this.lifecycle.expiredSessions(BATCH)) {
        if (await this.expire(session)) {
          ended += 1;
        }
      }
      return ended;
    });
  }

  private expire(session: { id: string; organizationId: string }): Promise<boolean> {
    return this.txHost.withTransaction(() => this.lifecycle.end(session.organizationId, session.id, 'EXPIRED'));
  }
}
