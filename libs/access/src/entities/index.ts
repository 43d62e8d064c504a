import { AccessGrant } from './access-grant.entity';
import { IdempotencyKey } from './idempotency-key.entity';
import { ResourceSync } from './resource-sync.entity';
import { Session } from './session.entity';
import { SessionRule } from './session-rule.entity';
import { StaticIpRule, StaticIpRuleResource } from './static-ip-rule.entity';

export * from './access-grant.entity';
export * from './idempotency-key.entity';
export * from './resource-sync.entity';
export * from './session.entity';
export * from './session-rule.entity';
export * from './static-ip-rule.entity';

export const ENGINE_ENTITIES = [Session, SessionRule, AccessGrant, StaticIpRule, StaticIpRuleResource, ResourceSync, IdempotencyKey];
