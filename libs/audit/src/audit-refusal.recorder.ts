import { Injectable } from '@nestjs/common';
import { DomainError, RefusalListener, RequestContext } from '@app/common';
import { AUDITED_ACTION_KEY, AuditedActionMetadata } from './audited-action.decorator';
import { AuditService } from './audit.service';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Records refused mutations. It runs from the exception filter, after the request's own
 * transaction has rolled back, so the FAILURE row is its own statement and survives.
 */
@Injectable()
export class AuditRefusalRecorder implements RefusalListener {
  constructor(
    private readonly audit: AuditService,
    private readonly context: RequestContext,
  ) {}

  async onRefused(error: DomainError): Promise<void> {
    const handler = this.context.routeHandler;
    const principal = this.context.principal;
    if (!handler || !principal || error.auditRecorded || error.code === 'UNAUTHORIZED' || error.code === 'RATE_LIMIT_EXCEEDED') {
      return;
    }
    const action = Reflect.getMetadata(AUDITED_ACTION_KEY, handler) as AuditedActionMetadata | undefined;
    if (!action) {
      return;
    }
    const targetId = this.context.targetId;
    await this.audit.record({
      eventType: action.eventType,
      targetType: action.targetType,
      targetId: targetId && UUID.test(targetId) ? targetId : null,
      targetName: this.context.targetName ?? null,
      result: 'FAILURE',
      errorCode: error.code,
      errorMessage: error.message,
    });
  }
}
