import { Inject, Injectable } from '@nestjs/common';
import { ClsService } from 'nestjs-cls';
import { PurgeSweep } from '@app/common';
import { ACCESS_SETTINGS, AccessSettings } from '../engine/access-settings';
import { IdempotencyStore } from './idempotency.store';

/**
 * Deletes idempotency keys past their 24 hours (§13). A key sent again after that starts afresh
 * whether or not its row was swept yet (`IdempotencyStore.begin`); the sweep keeps the table small.
 */
@Injectable()
export class ExpiredIdempotencyKeysSweep extends PurgeSweep {
  constructor(store: IdempotencyStore, cls: ClsService, @Inject(ACCESS_SETTINGS) settings: AccessSettings) {
    super({ name: 'ExpiredIdempotencyKeysSweep', enabled: settings.jobsEnabled, cls, purge: (limit) => store.forgetExpired(limit) });
  }
}
