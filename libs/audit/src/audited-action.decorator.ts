import { SetMetadata } from '@nestjs/common';
import { AuditEventType, AuditTargetType } from './audit-event';

export const AUDITED_ACTION_KEY = 'entryguard:audited-action';

export interface AuditedActionMetadata {
  eventType: AuditEventType;
  targetType: AuditTargetType;
}

/**
 * Marks a mutating route: when it is refused (4xx), a FAILURE row is recorded for it.
 * Successful outcomes are recorded by the service, inside its transaction.
 */
export const AuditedAction = (eventType: AuditEventType, targetType: AuditTargetType): MethodDecorator =>
  SetMetadata(AUDITED_ACTION_KEY, { eventType, targetType } satisfies AuditedActionMetadata);
