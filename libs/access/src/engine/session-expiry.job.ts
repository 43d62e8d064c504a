import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ClsService } from 'nestjs-cls';
import { DueWorkJob, inBackgroundLane } from '@app/common';
import { TxHost } from '@app/database';
import { ACCESS_SETTINGS, AccessSettings } from './access-settings';
import { SessionLifecycle } from './session-lifecycle';

type Expired = { id: string; organizationId: string };

/** Sessions ended in one transaction: a burst of expiries costs a few statements per group, not per session. */
const GROUP = 10;
/** Groups ended at once per instance; a free slot claims the next ones (so instances share a burst). */
const CONCURRENCY = 4;
/** What `runOnce` ends in one go. */
const BATCH = 100;

/**
 * Expiry is the server's job (§13): every JOBS_POLL_SECONDS each instance claims live sessions
 * past `expiresAt` and ends them, whether or not a client ever calls again. Claims keep instances
 * on separate sessions; `endMany` re-checks each under its lock, so it ends (and is audited) once.
 */
@Injectable()
export class SessionExpiryJob implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('SessionExpiryJob');
  private readonly job: DueWorkJob<Expired[]>;

  constructor(
    private readonly lifecycle: SessionLifecycle,
    private readonly txHost: TxHost,
    private readonly cls: ClsService,
    @Inject(ACCESS_SETTINGS) private readonly settings: AccessSettings,
  ) {
    this.job = new DueWorkJob<Expired[]>({
      name: 'SessionExpiryJob',
      enabled: settings.jobsEnabled,
      intervalMs: settings.pollSeconds * 1000,
      batchSize: CONCURRENCY,
      cls,
      claim: async (groups) => inGroups(await this.claim(groups * GROUP)),
      concurrency: CONCURRENCY,
      refill: true,
      process: async (group) => {
        await this.expire(group);
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
    return inBackgroundLane(() => this.runRound());
  }

  private runRound(): Promise<number> {
    return this.cls.run({ ifNested: 'override' }, async () => {
      let ended = 0;
      for (const group of inGroups(await this.claim(BATCH))) {
        ended += await this.expire(group);
      }
      return ended;
    });
  }

  private claim(limit: number): Promise<Expired[]> {
    return this.lifecycle.claimExpired(limit, this.settings.leaseSeconds);
  }

  /**
   * Ends a group in one transaction. If that fails, each session gets a transaction of its own, so
   * that one session that cannot be ended does not hold back the others; a failed one is given back.
   */
  private async expire(group: Expired[]): Promise<number> {
    try {
      return await this.endInOne(group);
    } catch (error) {
      if (group.length === 1) {
        await this.lifecycle.unclaimExpiry([group[0].id]).catch(() => undefined);
        throw error;
      }
      this.logger.warn(`ending ${group.length} expired sessions together failed (${(error as Error).message}); one by one`);
    }
    let ended = 0;
    for (const session of group) {
      try {
        ended += await this.endInOne([session]);
      } catch (error) {
        this.logger.warn(`session ${session.id}: expiry failed, will retry: ${(error as Error).message}`);
        await this.lifecycle.unclaimExpiry([session.id]).catch(() => undefined);
      }
    }
    return ended;
  }

  private async endInOne(group: Expired[]): Promise<number> {
    return (await this.txHost.withTransaction(() => this.lifecycle.endMany(group, 'EXPIRED'))).size;
  }
}

function inGroups(sessions: Expired[]): Expired[][] {
  const groups: Expired[][] = [];
  for (let i = 0; i < sessions.length; i += GROUP) {
    groups.push(sessions.slice(i, i + GROUP));
  }
  return groups;
}
