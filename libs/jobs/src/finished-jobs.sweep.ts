import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ClsService } from 'nestjs-cls';
import { PurgeSweep } from '@app/common';
import { JOBS_SETTINGS, JobsSettings } from './jobs-settings';
import { JobsRepository } from './jobs.repository';

/** A finished job (DONE or FAILED) stays this long for an operator to look at, then goes. */
export const FINISHED_JOB_RETENTION_DAYS = 7;
const INTERVAL_MS = 10 * 60_000;
const BATCH = 1_000;

/** Deletes finished jobs past their retention, so that the queue's table does not grow forever. */
@Injectable()
export class FinishedJobsSweep implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly sweep: PurgeSweep;

  constructor(repository: JobsRepository, cls: ClsService, @Inject(JOBS_SETTINGS) settings: JobsSettings) {
    this.sweep = new PurgeSweep({
      name: 'FinishedJobsSweep',
      enabled: settings.enabled,
      intervalMs: INTERVAL_MS,
      batchSize: BATCH,
      cls,
      purge: (limit) => repository.deleteFinished(FINISHED_JOB_RETENTION_DAYS, limit),
    });
  }

  onApplicationBootstrap(): void {
    this.sweep.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.sweep.stop();
  }

  /** One sweep now, whatever JOBS_ENABLED says (tests). Returns the jobs deleted. */
  runOnce(): Promise<number> {
    return this.sweep.runOnce();
  }
}
