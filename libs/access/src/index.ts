export * from './entities';
export * from './access.module';
export { ACCESS_SETTINGS, type AccessSettings } from './engine/access-settings';
export { GrantLedger, type HolderKind, type NewHold } from './engine/grant-ledger';
export { SessionLifecycle, type OpenSession, type SessionTarget } from './engine/session-lifecycle';
export { FirewallSyncWorker } from './engine/firewall-sync.worker';
export { SessionExpiryJob } from './engine/session-expiry.job';
export { EngineResourceUsage } from './engine/resource-usage';
export { SessionRemovalHook } from './engine/session-removal.hook';
export { RULE_DESCRIPTION_PREFIX } from './engine/firewall-reconciler';
export {
  IdempotencyStore,
  IdempotencyKeyReusedError,
  IDEMPOTENCY_KEY_PATTERN,
  type IdempotentStart,
} from './idempotency/idempotency.store';
