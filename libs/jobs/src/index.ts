export * from './job.entity';
export * from './job-handler';
export * from './job-queue.service';
export * from './jobs.module';
export * from './jobs-settings';
export { retryDelaySeconds, DEFAULT_BACKOFF_MAX_SECONDS } from './backoff';
export { CommitNudgeSubscriber } from './commit-nudge.subscriber';
export * from './finished-jobs.sweep';
