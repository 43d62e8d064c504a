import { Injectable } from '@nestjs/common';
import { EntityManager, QueryDeepPartialEntity, Repository, SelectQueryBuilder } from 'typeorm';
import { isPgError, PG_FOREIGN_KEY_VIOLATION, PG_UNIQUE_VIOLATION, toIsoUtc } from '@app/common';
import { claimDueRows, CompiledRead, DueRow, postponeVerification, saveVerdict, selectColumns, STALE_VERDICT, TxHost } from '@app/database';
import { ProviderName } from '@app/providers';
import { LinkedCredentialNotFoundError, ResourceAlreadyExistsError } from './resource.errors';
import { Resource } from './resource.entity';
import { ResourceDto } from './dto/resource.dto';

/** Raw columns (database names), with the linked credential's name. */
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
  /** What verification checked: this resource's target and its credential's keys (see saveVerification). */
  revision: number;
  credential_revision: number;
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

/** Entity properties read raw, under their database names (see selectColumns). */
const COLUMNS = [
  'id',
  'organizationId',
  'credentialId',
  'name',
  'provider',
  'resourceType',
  'resourceIdentifier',
  'region',
  'config',
  'isActive',
  'lastVerifiedAt',
  'verificationError',
  'createdAt',
  'updatedAt',
  'revision',
] as const;

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

/**
 * Raw rows with the credential name from a join: one query for a whole list. Credentials
 * belong to the app, so the join names their table, and its condition uses database names.
 */
function select(manager: EntityManager): SelectQueryBuilder<Resource> {
  return selectColumns(manager.getRepository(Resource).createQueryBuilder('r'), 'r', COLUMNS)
    .addSelect('c.name', 'credential_name')
    .addSelect('c.revision', 'credential_revision')
    .innerJoin('credentials', 'c', 'c.organization_id = r.organization_id AND c.id = r.credential_id');
}

type ListParameters = { organizationId: string; credentialId?: string; provider?: string };

/** One statement per filter combination, each built once per DataSource (see CompiledRead). */
function listRead(byCredential: boolean, byProvider: boolean): CompiledRead<ListParameters> {
  return new CompiledRead<ListParameters>(
    (manager) => {
      const query = select(manager).where('r.organizationId = :organizationId');
      if (byCredential) {
        query.andWhere('r.credentialId = :credentialId');
      }
      if (byProvider) {
        query.andWhere('r.provider = :provider');
      }
      return query.orderBy('r.createdAt', 'DESC').addOrderBy('r.id', 'DESC');
    },
    ['organizationId', ...(byCredential ? (['credentialId'] as const) : []), ...(byProvider ? (['provider'] as const) : [])],
  );
}

const LISTS = [listRead(false, false), listRead(false, true), listRead(true, false), listRead(true, true)];
const FIND_BY_ID = new CompiledRead<{ organizationId: string; id: string }>(
  (manager) => select(manager).where('r.organizationId = :organizationId AND r.id = :id'),
  ['organizationId', 'id'],
);

@Injectable()
export class ResourcesRepository {
  constructor(private readonly txHost: TxHost) {}

  /** The current transaction's repository when there is one, the pool's otherwise. */
  private get resources(): Repository<Resource> {
    return this.txHost.tx.getRepository(Resource);
  }

  private select(): SelectQueryBuilder<Resource> {
    return select(this.txHost.tx);
  }

  async insert(organizationId: string, id: string, write: ResourceWrite): Promise<void> {
    try {
      await this.resources
        .createQueryBuilder()
        .insert()
        .values({
          id,
          organizationId,
          credentialId: write.credentialId,
          name: write.name,
          provider: write.provider as ProviderName,
          resourceType: write.resourceType,
          resourceIdentifier: write.resourceIdentifier,
          region: write.region,
          // jsonb: TypeORM's deep-partial write type cannot map `unknown` values.
          config: write.config as Record<string, any>,
          isActive: write.isActive,
        })
        .updateEntity(false)
        .execute();
    } catch (error) {
      throw translate(error, write);
    }
  }

  findById(organizationId: string, id: string): Promise<ResourceRow | undefined> {
    return FIND_BY_ID.one<ResourceRow>(this.txHost.tx, { organizationId, id });
  }

  list(organizationId: string, filter: { credentialId?: string; provider?: string }): Promise<ResourceRow[]> {
    const { credentialId, provider } = filter;
    const read = LISTS[(credentialId ? 2 : 0) + (provider ? 1 : 0)];
    return read.many<ResourceRow>(this.txHost.tx, { organizationId, credentialId, provider });
  }

  /** Locks the resource row only (FOR UPDATE OF r), not its credential. */
  async lock(organizationId: string, id: string): Promise<ResourceRow | undefined> {
    return this.select()
      .where('r.organizationId = :organizationId AND r.id = :id', { organizationId, id })
      .setLock('pessimistic_write', undefined, ['r'])
      .getRawOne<ResourceRow>();
  }

  /** Identity changes start verification over; the job picks the row up at once. */
  async update(organizationId: string, id: string, write: ResourceWrite, resetVerification: boolean): Promise<void> {
    const changes: QueryDeepPartialEntity<Resource> = {
      credentialId: write.credentialId,
      name: write.name,
      resourceIdentifier: write.resourceIdentifier,
      region: write.region,
      config: write.config as Record<string, any>, // jsonb: see insert()
      isActive: write.isActive,
      updatedAt: () => 'now()',
    };
    if (resetVerification) {
      Object.assign(changes, { lastVerifiedAt: null, verificationError: null, verifyDueAt: () => 'now()', revision: () => 'revision + 1' });
    }
    try {
      await this.resources.update({ organizationId, id }, changes);
    } catch (error) {
      throw translate(error, write);
    }
  }

  async delete(organizationId: string, id: string): Promise<void> {
    await this.resources.delete({ organizationId, id });
  }

  /**
   * Saves the verdict only if the resource still has the target and credential that were checked,
   * and that credential the same keys; returns the previous state. Otherwise STALE_VERDICT.
   */
  saveVerification(
    checked: Pick<ResourceRow, 'organization_id' | 'id' | 'revision' | 'credential_id' | 'credential_revision'>,
    ok: boolean,
    error: string | null,
    nextDueInMinutes: number,
  ): Promise<{ previous: boolean } | typeof STALE_VERDICT | undefined> {
    return saveVerdict<Resource, boolean>(
      this.resources,
      { organizationId: checked.organization_id, id: checked.id },
      {
        set: { isActive: ok, verificationError: error },
        previous: 'isActive',
        // The credential's keys are part of what was checked: a correlated read the builder has no form for.
        unchanged:
          'revision = :revision AND credential_id = :credentialId AND (SELECT c.revision FROM credentials c ' +
          'WHERE c.organization_id = resources.organization_id AND c.id = resources.credential_id) = :credentialRevision',
        parameters: { revision: checked.revision, credentialId: checked.credential_id, credentialRevision: checked.credential_revision },
        nextDueInMinutes,
      },
    );
  }

  /** The provider could not be asked: keep the verdict, note why, and ask again soon. */
  saveUnreachable(organizationId: string, id: string, reason: string, retryInMinutes: number): Promise<void> {
    return postponeVerification(this.resources, { organizationId, id }, reason, retryInMinutes);
  }

  claimDue(limit: number, leaseMinutes: number, perOrganization: number): Promise<DueRow[]> {
    return claimDueRows(this.resources, limit, leaseMinutes, perOrganization);
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
