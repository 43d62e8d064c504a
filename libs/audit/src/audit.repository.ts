import { Injectable } from '@nestjs/common';
import { runSql, TxHost } from '@app/database';
import { AuditActorType, AuditDetails, AuditEventType, AuditResult } from './audit-event';

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

const COLUMNS = `id, event_type, actor_email, actor_type, resource_type, resource_id, resource_name, result,
  error_code, error_message, ip_address, user_agent, request_id, details, organization_name, created_at`;

@Injectable()
export class AuditRepository {
  constructor(private readonly txHost: TxHost) {}

  /** Runs on the caller's transaction, so the row commits or rolls back with the change. */
  async insert(row: AuditRowInsert): Promise<void> {
    await runSql(
      this.txHost.tx,
      `INSERT INTO audit_logs (organization_id, organization_name, event_type, actor_id, actor_email, actor_type,
         resource_type, resource_id, resource_name, result, error_code, error_message, ip_address, user_agent,
         request_id, details)
       VALUES ($1, (SELECT name FROM organizations WHERE id = $1), $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
      [
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
      ],
    );
  }

  async page(organizationId: string, filter: AuditFilter, page: number, size: number): Promise<{ rows: AuditRow[]; total: number }> {
    const where = ['organization_id = $1'];
    const params: unknown[] = [organizationId];
    const add = (clause: string, value: unknown) => {
      params.push(value);
      where.push(clause.replace('?', `$${params.length}`));
    };
    if (filter.eventType) {
      add('event_type = ?', filter.eventType);
    }
    if (filter.actorEmail) {
      add('actor_email = ?', filter.actorEmail.toLowerCase());
    }
    if (filter.resourceType) {
      add('resource_type = ?', filter.resourceType);
    }
    if (filter.resourceId) {
      add('resource_id = ?', filter.resourceId);
    }
    if (filter.result) {
      add('result = ?', filter.result);
    }
    if (filter.from) {
      add('created_at >= ?', filter.from);
    }
    if (filter.toExclusive) {
      add('created_at < ?', filter.toExclusive);
    }
    const whereSql = where.join(' AND ');
    const manager = this.txHost.tx;
    const [count, rows] = await Promise.all([
      runSql<{ total: string }>(manager, `SELECT count(*) AS total FROM audit_logs WHERE ${whereSql}`, params),
      runSql<AuditRow>(
        manager,
        `SELECT ${COLUMNS} FROM audit_logs WHERE ${whereSql}
         ORDER BY created_at DESC, id DESC LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
        [...params, size, page * size],
      ),
    ]);
    return { rows: rows.rows, total: Number(count.rows[0]?.total ?? 0) };
  }
}
