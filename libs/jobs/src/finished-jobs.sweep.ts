import { Inject, Injectable } from '@nestjs/common';
import { ClsService } from 'nestjs-cls';
import { PurgeSweep } from '@app/common';
import { JOBS_SETTINGS, JobsSettings } from './jobs-settings';
import { JobsRepository } from './jobs.repository';

/** A finished job (DONE or FAILED) stays this long for an operator to look at, then goes. */
export const FINISHED_JOB_RETENTION_DAYS = 7;

/** Deletes finished jobs past their retention, so that the queue's table does not grow forever. */
@Injectable()
export class FinishedJobsSweep extends PurgeSweep {
  constructor(repository: JobsRepository, cls: ClsService, @Inject(JOBS_SETTINGS) settings: JobsSettings) {
    super({
      name: 'FinishedJobsSweep',
      enabled: settings.enabled,
      cls,
      purge: (limit) => repository.deleteFinished(FINISHED_JOB_RETENTION_DAYS, limit),
    });
  }
}
