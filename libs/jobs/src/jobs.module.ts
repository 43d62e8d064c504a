import { DynamicModule, Module } from '@nestjs/common';
import { FinishedJobsSweep } from './finished-jobs.sweep';
import { JobQueue } from './job-queue.service';
import { JOBS_SETTINGS, JobsSettings } from './jobs-settings';
import { JobsRepository } from './jobs.repository';

/** Registered once by the app, globally: every library that has background work injects JobQueue. */
@Module({})
export class JobsModule {
  static forRoot(settings: JobsSettings): DynamicModule {
    return {
      module: JobsModule,
      global: true,
      providers: [{ provide: JOBS_SETTINGS, useValue: settings }, JobsRepository, JobQueue, FinishedJobsSweep],
      exports: [JobQueue, FinishedJobsSweep],
    };
  }
}
