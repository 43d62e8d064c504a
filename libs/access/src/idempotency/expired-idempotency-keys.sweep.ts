import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ClsService } from 'nestjs-cls';
import { PurgeSweep } from '@app/common';
import { ACCESS_SETTINGS, AccessSettings } from '../engine/access-settings';
import { IdempotencyStore } from './idempotency.store';

const INTERVAL_MS = 10 * 60_000;
const BATCH = 1_000;

/**
 * Deletes idempotency keys past their 24 hours (§13). A key sent again after that starts afresh
 * whether or not its row was swept yet (`IdempotencyStore.begin`); the sweep only keeps the table small.
 */
@Injectable()
export class ExpiredIdempotencyKeysSweep implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly sweep: PurgeSweep;

  constructor(store: IdempotencyStore, cls: ClsService, @Inject(ACCESS_SETTINGS) settings: AccessSettings) {
    this.sweep = new PurgeSweep({
      name: 'ExpiredIdempotencyKeysSweep',
      enabled: settings.jobsEnabled,
      intervalMs: INTERVAL_MS,
      batchSize: BATCH,
      cls,
      purge: (limit) => store.forgetExpired(limit),
    });
  }

  onApplicationBootstrap(): void {
    this.sweep.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.sweep.stop();
  }

  /** One sweep now, whatever JOBS_ENABLED says (tests). Returns the keys deleted. */
  runOnce(): Promise<number> {
    return this.sweep.runOnce();
  }
}
