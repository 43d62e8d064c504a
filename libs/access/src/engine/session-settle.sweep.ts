import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ClsService } from 'nestjs-cls';
import { inBackgroundLane, Poller } from '@app/common';
import { ACCESS_SETTINGS, AccessSettings } from './access-settings';
import { SessionState } from './session-state';

/** Longer than any outcome takes from its write to its settle: a session decided this long ago was missed. */
const GRACE_SECONDS = 30;
const BATCH = 100;

/**
 * A provider call's outcome is written, then the sessions it decided are settled (§13): an instance
 * that dies in between leaves a session PENDING or EXPIRING with every rule decided. Each instance
 * looks for those every ten polls and settles them (under their lock, so twice is harmless).
 */
@Injectable()
export class SessionSettleSweep implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly poller: Poller;
  private readonly enabled: boolean;

  constructor(
    private readonly sessions: SessionState,
    private readonly cls: ClsService,
    @Inject(ACCESS_SETTINGS) settings: AccessSettings,
  ) {
    this.poller = new Poller({
      name: 'SessionSettleSweep',
      intervalMs: settings.pollSeconds * 10_000,
      // One batch a sweep; the next sweep takes what is left.
      work: async () => {
        await this.runOnce();
        return false;
      },
    });
    this.enabled = settings.jobsEnabled;
  }

  onApplicationBootstrap(): void {
    if (this.enabled) {
      this.poller.start();
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.poller.stop();
  }

  /** One sweep now, whatever JOBS_ENABLED says (tests). Returns how many sessions changed status. */
  runOnce(graceSeconds = GRACE_SECONDS): Promise<number> {
    return inBackgroundLane(() =>
      this.cls.run({ ifNested: 'override' }, async () => this.settle(await this.sessions.stragglers(BATCH, graceSeconds))),
    );
  }

  private async settle(ids: string[]): Promise<number> {
    if (ids.length === 0) {
      return 0;
    }
    return (await this.sessions.settle(ids)).length;
  }
}
