import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { TxHost } from '@app/database';
import { DomainError } from '@app/common';
import { rows } from '../engine/sql';

/** An answer is kept for this long (§13); the key then starts afresh, and the row is swept. */
export const IDEMPOTENCY_KEEP_HOURS = 24;

export type IdempotentStart<T> = { replay: T } | { fresh: true };

export class IdempotencyKeyReusedError extends DomainError {
  readonly code = 'IDEMPOTENCY_KEY_REUSED';
  constructor() {
    super('This Idempotency-Key was already used with a different request body');
  }
}

/** Visible ASCII, 1 to 200 characters: anything a client library generates, nothing that breaks a log line. */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,200}$/;

/**
 * `Idempotency-Key` (§13): the first request with a key claims it in its own transaction; a second
 * one with the same key waits on that row until the first commits, then gets the first answer (same
 * body) or 409 (another body). A first request that failed rolled its claim back, so a retry runs.
 */
@Injectable()
export class IdempotencyStore {
  constructor(private readonly txHost: TxHost) {}

  /** Call inside the operation's transaction, before doing anything. */
  async begin<T>(
    scope: { organizationId: string; userId: string; operation: string },
    key: string,
    body: unknown,
  ): Promise<IdempotentStart<T>> {
    const hash = createHash('sha256').update(canonicalJson(body)).digest('hex');
    const values = [scope.organizationId, scope.userId, scope.operation, key, hash];
    // An answer older than 24 hours is forgotten: the key starts afresh.
    await this.txHost.tx.query(
      `DELETE FROM idempotency_keys WHERE organization_id = $1 AND user_id = $2 AND operation = $3 AND key = $4
         AND created_at < now() - make_interval(hours => ${IDEMPOTENCY_KEEP_HOURS})`,
      values.slice(0, 4),
    );
    const inserted: unknown[] = await this.txHost.tx.query(
      `INSERT INTO idempotency_keys (organization_id, user_id, operation, key, request_hash) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT DO NOTHING RETURNING key`,
      values,
    );
    if (inserted.length > 0) {
      return { fresh: true };
    }
    const [row]: Array<{ request_hash: string; response: T }> = await this.txHost.tx.query(
      `SELECT request_hash, response FROM idempotency_keys WHERE organization_id = $1 AND user_id = $2 AND operation = $3 AND key = $4`,
      values.slice(0, 4),
    );
    if (!row || row.request_hash !== hash) {
      throw new IdempotencyKeyReusedError();
    }
    return { replay: row.response };
  }

  async finish(
    scope: { organizationId: string; userId: string; operation: string },
    key: string,
    status: number,
    response: unknown,
  ): Promise<void> {
    await this.txHost.tx.query(
      `UPDATE idempotency_keys SET status_code = $5, response = $6 WHERE organization_id = $1 AND user_id = $2 AND operation = $3 AND key = $4`,
      [scope.organizationId, scope.userId, scope.operation, key, status, JSON.stringify(response)],
    );
  }

  /** Deletes up to `limit` keys older than their 24 hours (the sweep's batch); SKIP LOCKED. */
  async forgetExpired(limit: number): Promise<number> {
    const deleted = await rows(
      this.txHost.tx,
      `DELETE FROM idempotency_keys WHERE ctid IN (
         SELECT ctid FROM idempotency_keys WHERE created_at < now() - make_interval(hours => ${IDEMPOTENCY_KEEP_HOURS})
         ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED)
       RETURNING key`,
      [limit],
    );
    return deleted.length;
  }
}

/** Key order does not make two bodies different. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) {
    return `[${value.map(canonicalJson).join(',')}]`;
  }
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}
