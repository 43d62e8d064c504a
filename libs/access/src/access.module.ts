import { DynamicModule, Module, ModuleMetadata, Type } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CREDENTIAL_ACCESS, CredentialAccess, ResourceHealthEvent, ResourceHealthRepository } from '@app/resources';
import { ACCESS_SETTINGS, AccessSettings } from './engine/access-settings';
import { FirewallLock } from './engine/firewall-lock';
import { FirewallOutcomeRecorder } from './engine/firewall-outcome.recorder';
import { FirewallReconciler } from './engine/firewall-reconciler';
import { FirewallSyncRepository } from './engine/firewall-sync.repository';
import { FirewallSyncWorker } from './engine/firewall-sync.worker';
import { GrantLedger } from './engine/grant-ledger';
import { EngineResourceUsage } from './engine/resource-usage';
import { SessionExpiryJob } from './engine/session-expiry.job';
import { SessionSettleSweep } from './engine/session-settle.sweep';
import { SessionSettler } from './engine/session-settler';
import { SessionLifecycle } from './engine/session-lifecycle';
import { SessionOpening } from './engine/session-opening';
import { SessionRemovalHook } from './engine/session-removal.hook';
import { SessionState } from './engine/session-state';
import { WorkSchedule } from './engine/work-schedule';
import { ENGINE_ENTITIES } from './entities';
import { ExpiredIdempotencyKeysSweep } from './idempotency/expired-idempotency-keys.sweep';
import { IdempotencyStore } from './idempotency/idempotency.store';

export interface AccessModuleOptions {
  /** The module that provides the credential-access implementation (the app's credentials). */
  imports: ModuleMetadata['imports'];
  credentialAccess: Type<CredentialAccess>;
  settings: AccessSettings;
}

/** The whitelisting engine (§13): grants and their holders, the firewall worker, expiry and reconcile. */
@Module({})
export class AccessModule {
  static forRoot(options: AccessModuleOptions): DynamicModule {
    return {
      module: AccessModule,
      imports: [...(options.imports ?? []), TypeOrmModule.forFeature([...ENGINE_ENTITIES, ResourceHealthEvent])],
      providers: [
        { provide: CREDENTIAL_ACCESS, useExisting: options.credentialAccess },
        { provide: ACCESS_SETTINGS, useValue: options.settings },
        ResourceHealthRepository,
        WorkSchedule,
        GrantLedger,
        SessionState,
        SessionSettler,
        SessionLifecycle,
        SessionOpening,
        FirewallSyncRepository,
        FirewallOutcomeRecorder,
        FirewallReconciler,
        FirewallLock,
        FirewallSyncWorker,
        SessionExpiryJob,
        SessionSettleSweep,
        EngineResourceUsage,
        SessionRemovalHook,
        IdempotencyStore,
        ExpiredIdempotencyKeysSweep,
      ],
      exports: [
        IdempotencyStore,
        ExpiredIdempotencyKeysSweep,
        SessionLifecycle,
        SessionOpening,
        GrantLedger,
        FirewallSyncWorker,
        SessionExpiryJob,
        SessionSettleSweep,
        EngineResourceUsage,
        SessionRemovalHook,
        ACCESS_SETTINGS,
      ],
    };
  }
}
