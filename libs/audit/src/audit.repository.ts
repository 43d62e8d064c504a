import { Injectable } from '@nestjs/common';
import { Repository } from 'typeorm';
import { prepared, selectColumns, TxHost } from '@app/database';
import { AuditActorType, AuditDetails, AuditEventType, AuditResult } from './audit-event';
import { AuditLog } from './audit-log.entity';

export interface AuditRowInsert {
  organizationId: string | null;
  eventType: AuditEventType;
  actorId: string | null;
  actorEmail: string | null;
  actorType: AuditActorType;
  targetType: string | null;
  targetId: string | null;
  targetName: string | null;
  result: AuditResult;
  errorCode: string | null;
  errorMessage: string | null;
  ipAddress: string | null;
  userAgent: string | null;
  requestId: string | null;
  details: AuditDetails;
}

export interface AuditRow {
  id: string;
  event_type: string;
  actor_email: string | null;
  actor_type: string;
  resource_type: string | null;
  resource_id: string | null;
  resource_name: string | null;
  result: string;
  error_code: string | null;
  error_message: string | null;
  ip_address: string | null;
  user_agent: string | null;
  request_id: string | null;
  details: Record<string, unknown>;
  organization_name: string | null;
  created_at: Date;
}

export interface AuditFilter {
  eventType?: string;
  actorEmail?: string;
  resourceType?: string;
  resourceId?: string;
  result?: string;
  from?: Date;
  /** Exclusive upper bound. */
  toExclusive?: Date;
}

/** Entity properties read raw, under their database names (see selectColumns). */
const COLUMNS = [
  'id',
  'eventType',
  'actorEmail',
  'actorType',
  'resourceType',
  'resourceId',
  'resourceName',
  'result',
  'errorCode',
  'errorMessage',
  'ipAddress',
  'userAgent',
  'requestId',
  'details',
  'organizationName',
  'createdAt',
] as const;

const INSERT = prepared(
  `INSERT INTO audit_logs (organization_id, organization_name, event_type, actor_id, actor_email, actor_type, resource_type, resource_id,
     resource_name, result, error_code, error_message, ip_address, user_agent, request_id, details)
   VALUES ($1, (SELECT o.name FROM organizations o WHERE o.id = $1), $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15::jsonb)`,
);

@Injectable()
export class AuditRepository {
  constructor(private readonly txHost: TxHost) {}

  /** The caller's transaction when there is one, so the row commits or rolls back with the change. */
  private get auditLogs(): Repository<AuditLog> {
    return this.txHost.tx.getRepository(AuditLog);
  }

  async insert(row: AuditRowInsert): Promise<void> {
    // Every change writes one: a constant statement, prepared on each connection. The organization's
    // name is copied in by a sub-select, since the row must outlive the organization (whose table
    // belongs to the auth library).
    await this.txHost.tx.query(INSERT, [
      row.organizationId,
      row.eventType,
      row.actorId,
      row.actorEmail,
      row.actorType,
      row.targetType,
      row.targetId,
      row.targetName,
      row.result,
      row.errorCode,
      row.errorMessage,
      row.ipAddress,
      row.userAgent?.slice(0, 512) ?? null,
      row.requestId,
      JSON.stringify(row.details),
    ]);
  }

  async page(organizationId: string, filter: AuditFilter, page: number, size: number): Promise<{ rows: AuditRow[]; total: number }> {
    const filtered = () => {
      const query = this.auditLogs.createQueryBuilder('a').where('a.organizationId = :organizationId', { organizationId });
      if (filter.eventType) {
        query.andWhere('a.eventType = :eventType', { eventType: filter.eventType });
      }
      if (filter.actorEmail) {
        query.andWhere('a.actorEmail = :actorEmail', { actorEmail: filter.actorEmail.toLowerCase() });
      }
      if (filter.resourceType) {
        query.andWhere('a.resourceType = :resourceType', { resourceType: filter.resourceType });
      }
      if (filter.resourceId) {
        query.andWhere('a.resourceId = :resourceId', { resourceId: filter.resourceId });
      }
      if (filter.result) {
        query.andWhere('a.result = :result', { result: filter.result });
      }
      if (filter.from) {
        query.andWhere('a.createdAt >= :from', { from: filter.from });
      }
      if (filter.toExclusive) {
        query.andWhere('a.createdAt < :toExclusive', { toExclusive: filter.toExclusive });
      }
      return query;
    };
    const rows = selectColumns(filtered(), 'a', COLUMNS);
    const [count, found] = await Promise.all([
      // count(*), not getCount()'s COUNT(DISTINCT id): the id is the primary key anyway.
      filtered().select('count(*)::int', 'total').getRawOne<{ total: number }>(),
      rows
        .orderBy('a.createdAt', 'DESC')
        .addOrderBy('a.id', 'DESC')
        .limit(size)
        .offset(page * size)
        .getRawMany<AuditRow>(),
    ]);
    return { rows: found, total: Number(count?.total ?? 0) };
  }
}
