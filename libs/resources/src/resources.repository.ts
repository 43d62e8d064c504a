import { Injectable } from '@nestjs/common';
import { isPgError, PG_FOREIGN_KEY_VIOLATION, PG_UNIQUE_VIOLATION, toIsoUtc } from '@app/common';
import { claimDueRows, DueRow, postponeVerification, runSql, TxHost } from '@app/database';
import { ProviderName } from '@app/providers';
import { LinkedCredentialNotFoundError, ResourceAlreadyExistsError } from './resource.errors';
import { ResourceDto } from './dto/resource.dto';

export interface ResourceRow {
  id: string;
  organization_id: string;
  credential_id: string;
  credential_name: string;
  name: string;
  provider: ProviderName;
  resource_type: string;
  resource_identifier: string;
  region: string | null;
  config: Record<string, unknown>;
  is_active: boolean;
  last_verified_at: Date | null;
  verification_error: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface ResourceWrite {
  name: string;
  credentialId: string;
  provider: string;
  resourceType: string;
  resourceIdentifier: string;
  region: string | null;
  config: Record<string, unknown>;
  isActive: boolean;
}

/** The credential name comes from a join: one query for a whole list. */
const SELECT_RESOURCE = `
  SELECT r.id, r.organization_id, r.credential_id, c.name AS credential_name, r.name, r.provider, r.resource_type,
         r.resource_identifier, r.region, r.config, r.is_active, r.last_verified_at, r.verification_error,
         r.created_at, r.updated_at
  FROM resources r JOIN credentials c ON c.organization_id = r.organization_id AND c.id = r.credential_id`;

export function toResourceDto(row: ResourceRow): ResourceDto {
  return {
    id: row.id,
    name: row.name,
    credentialId: row.credential_id,
    credentialName: row.credential_name,
    provider: row.provider,
    resourceType: row.resource_type,
    resourceIdentifier: row.resource_identifier,
    region: row.region,
    config: row.config,
    isActive: row.is_active,
    lastVerifiedAt: toIsoUtc(row.last_verified_at),
    verificationError: row.verification_error,
    createdAt: toIsoUtc(row.created_at) as string,
    updatedAt: toIsoUtc(row.updated_at) as string,
  };
}

@Injectable()
export class ResourcesRepository {
  constructor(private readonly txHost: TxHost) {}

  async insert(organizationId: string, id: string, write: ResourceWrite): Promise<void> {
    try {
      await runSql(
        this.txHost.tx,
        `INSERT INTO resources (id, organization_id, credential_id, name, provider, resource_type, resource_identifier, region, config, is_active)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        [
          id,
          organizationId,
          write.credentialId,
          write.name,
          write.provider,
          write.resourceType,
          write.resourceIdentifier,
          write.region,
          JSON.stringify(write.config),
          write.isActive,
        ],
      );
    } catch (error) {
      throw translate(error, write);
    }
  }

  async findById(organizationId: string, id: string): Promise<ResourceRow | undefined> {
    const { rows } = await runSql<ResourceRow>(this.txHost.tx, `${SELECT_RESOURCE} WHERE r.organization_id = $1 AND r.id = $2`, [
      organizationId,
      id,
    ]);
    return rows[0];
  }

  async list(organizationId: string, filter: { credentialId?: string; provider?: string }): Promise<ResourceRow[]> {
    const params: unknown[] = [organizationId];
    let where = 'r.organization_id = $1';
    if (filter.credentialId) {
      params.push(filter.credentialId);
      where += ` AND r.credential_id = $${params.length}`;
    }
    if (filter.provider) {
      params.push(filter.provider);
      where += ` AND r.provider = $${params.length}`;
    }
    const { rows } = await runSql<ResourceRow>(
      this.txHost.tx,
      `${SELECT_RESOURCE} WHERE ${where} ORDER BY r.created_at DESC, r.id DESC`,
      params,
    );
    return rows;
  }

  async lock(organizationId: string, id: string): Promise<ResourceRow | undefined> {
    const { rows } = await runSql<ResourceRow>(
      this.txHost.tx,
      `${SELECT_RESOURCE} WHERE r.organization_id = $1 AND r.id = $2 FOR UPDATE OF r`,
      [organizationId, id],
    );
    return rows[0];
  }

  /** Identity changes start verification over; the job picks the row up at once. */
  async update(organizationId: string, id: string, write: ResourceWrite, resetVerification: boolean): Promise<void> {
    try {
      await runSql(
        this.txHost.tx,
        `UPDATE resources SET credential_id = $3, name = $4, resource_identifier = $5, region = $6, config = $7, is_active = $8,
           last_verified_at = CASE WHEN $9 THEN NULL ELSE last_verified_at END,
           verification_error = CASE WHEN $9 THEN NULL ELSE verification_error END,
           verify_due_at = CASE WHEN $9 THEN now() ELSE verify_due_at END,
           updated_at = now()
         WHERE organization_id = $1 AND id = $2`,
        [
          organizationId,
          id,
          write.credentialId,
          write.name,
          write.resourceIdentifier,
          write.region,
          JSON.stringify(write.config),
          write.isActive,
          resetVerification,
        ],
      );
    } catch (error) {
      throw translate(error, write);
    }
  }

  async delete(organizationId: string, id: string): Promise<void> {
    await runSql(this.txHost.tx, `DELETE FROM resources WHERE organization_id = $1 AND id = $2`, [organizationId, id]);
  }

  async saveVerification(
    organizationId: string,
    id: string,
    ok: boolean,
    error: string | null,
    nextDueInMinutes: number,
  ): Promise<{ previous: boolean } | undefined> {
    const { rows } = await runSql<{ previous: boolean }>(
      this.txHost.tx,
      `UPDATE resources r SET is_active = $3, verification_error = $4, last_verified_at = now(),
         verify_due_at = now() + make_interval(mins => $5)
       FROM (SELECT id, is_active AS previous FROM resources WHERE organization_id = $1 AND id = $2 FOR UPDATE) old
       WHERE r.id = old.id
       RETURNING old.previous`,
      [organizationId, id, ok, error, nextDueInMinutes],
    );
    return rows[0];
  }

  /** The provider could not be asked: keep the verdict, note why, and ask again soon. */
  saveUnreachable(organizationId: string, id: string, reason: string, retryInMinutes: number): Promise<void> {
    return postponeVerification(this.txHost.tx, 'resources', { organizationId, id }, reason, retryInMinutes);
  }

  claimDue(limit: number, leaseMinutes: number): Promise<DueRow[]> {
    return claimDueRows(this.txHost.tx, 'resources', limit, leaseMinutes);
  }
}

function translate(error: unknown, write: ResourceWrite): unknown {
  if (isPgError(error, PG_UNIQUE_VIOLATION, 'uq_resources_identity')) {
    return new ResourceAlreadyExistsError(write.resourceIdentifier);
  }
  if (isPgError(error, PG_FOREIGN_KEY_VIOLATION, 'fk_resources_credential')) {
    // The credential was deleted between our lookup and this write.
    return new LinkedCredentialNotFoundError(write.credentialId);
  }
  return error;
}
