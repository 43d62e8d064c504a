import { Injectable } from '@nestjs/common';
import { RequestContext, toIsoUtc } from '@app/common';
import { AuditEvent } from './audit-event';
import { sanitizeAuditDetails } from './audit-details';
import { AuditFilter, AuditRepository, AuditRow } from './audit.repository';
import { AuditLogDto, AuditLogPageDto, AuditLogQueryDto } from './dto/audit-log.dto';

@Injectable()
export class AuditService {
  constructor(
    private readonly repository: AuditRepository,
    private readonly context: RequestContext,
  ) {}

  /**
   * Writes one row in the caller's current transaction. Actor, organization, IP, user agent
   * and request id come from the request context; callers say only what happened. Under an API
   * key the actor is the key's creator (type API_KEY) and the row names the key's prefix (§15).
   */
  async record(event: AuditEvent): Promise<void> {
    const principal = this.context.principal;
    const actor =
      event.actor ??
      (principal?.kind === 'user'
        ? { id: principal.userId, email: principal.email, type: 'USER' as const }
        : principal?.kind === 'apiKey'
          ? { id: principal.userId, email: principal.email, type: 'API_KEY' as const }
          : { id: null, email: null, type: 'SYSTEM' as const });
    const details = sanitizeAuditDetails(event.details);
    if (principal?.kind === 'apiKey') {
      details.apiKeyPrefix = principal.keyPrefix;
    }
    await this.repository.insert({
      organizationId: event.organizationId ?? principal?.organizationId ?? null,
      eventType: event.eventType,
      actorId: actor.id ?? null,
      actorEmail: actor.email ?? null,
      actorType: actor.type,
      targetType: event.targetType ?? null,
      targetId: event.targetId ?? null,
      targetName: event.targetName ?? null,
      result: event.result ?? 'SUCCESS',
      errorCode: event.errorCode ?? null,
      errorMessage: event.errorMessage?.slice(0, 1000) ?? null,
      ipAddress: this.context.ip ?? null,
      userAgent: this.context.userAgent ?? null,
      requestId: this.context.requestId ?? null,
      details,
    });
  }

  async list(organizationId: string, query: AuditLogQueryDto): Promise<AuditLogPageDto> {
    const { page, size, from, to, ...rest } = query;
    const filter: AuditFilter = { ...rest, from: from ? new Date(from) : undefined, toExclusive: to ? inclusiveUpperBound(to) : undefined };
    const { rows, total } = await this.repository.page(organizationId, filter, page, size);
    return {
      content: rows.map(toDto),
      totalElements: total,
      totalPages: Math.ceil(total / size),
      number: page,
      size,
    };
  }
}

/**
 * `to` is inclusive at the precision it is written in: "...T10:00:05Z" covers that whole second
 * (the API prints whole seconds), "...T10:00:05.250Z" that millisecond, a bare date that day.
 */
function inclusiveUpperBound(to: string): Date {
  const fraction = /\.(\d+)/.exec(to)?.[1];
  const stepMs = fraction ? 1000 / 10 ** Math.min(fraction.length, 3) : to.includes('T') ? 1000 : 86_400_000;
  return new Date(new Date(to).getTime() + stepMs);
}

function toDto(row: AuditRow): AuditLogDto {
  return {
    id: row.id,
    eventType: row.event_type,
    actorEmail: row.actor_email,
    actorType: row.actor_type,
    resourceType: row.resource_type,
    resourceId: row.resource_id,
    resourceName: row.resource_name,
    result: row.result,
    errorCode: row.error_code,
    ipAddress: row.ip_address,
    userAgent: row.user_agent,
    requestId: row.request_id,
    errorMessage: row.error_message,
    details: row.details,
    organizationName: row.organization_name,
    createdAt: toIsoUtc(row.created_at) as string,
  };
}
