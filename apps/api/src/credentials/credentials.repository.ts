import { Inject, Injectable } from '@nestjs/common';
import { EntityManager, Repository, SelectQueryBuilder } from 'typeorm';
import { isPgError, PG_UNIQUE_VIOLATION } from '@app/common';
import { CompiledRead, selectColumns, TxHost } from '@app/database';
import { ProviderName } from '@app/providers';
import { Resource } from '@app/resources';
import { EncryptedSecret } from './credential-cipher';
import { Credential } from './credential.entity';
import { CredentialNameTakenError } from './credential.errors';
import {
  CredentialRow,
  CredentialSummary,
  FIND_BY_ID,
  FIND_SUMMARY,
  LIST,
  ManagerSource,
  PUBLIC_COLUMNS,
  SEALED_COLUMNS,
  SealedCredential,
  SealedRow,
  SUMMARY_COLUMNS,
  toSealed,
} from './credential.queries';

export type { CredentialRow, CredentialSummary, ManagerSource, SealedCredential } from './credential.queries';

/**
 * The one owner of the credentials table. Every statement is scoped by organization id, so a
 * cross-tenant read cannot be written by accident (the rewrap methods say so where they are not).
 * Reads return raw rows: the hot paths (one credential, a list of 1,000) skip entity hydration.
 */
/** A credential's sealed secret, the engine's read before every provider call (see CompiledRead). */
const SEALED = new CompiledRead<{ organizationId: string; id: string }>(
  (manager) =>
    selectColumns(manager.getRepository(Credential).createQueryBuilder('c'), 'c', SEALED_COLUMNS).where(
      'c.organizationId = :organizationId AND c.id = :id',
    ),
  ['organizationId', 'id'],
);

@Injectable()
export class CredentialsRepository {
  constructor(@Inject(TxHost) private readonly txHost: ManagerSource) {}

  /** The same methods on a given manager: the keys:rewrap CLI runs outside Nest, in its own transactions. */
  static on(manager: EntityManager): CredentialsRepository {
    return new CredentialsRepository({ tx: manager });
  }

  /** The current transaction's repository when there is one, the pool's otherwise. */
  private get credentials(): Repository<Credential> {
    return this.txHost.tx.getRepository(Credential);
  }

  private get resources(): Repository<Resource> {
    return this.txHost.tx.getRepository(Resource);
  }

  private byId(organizationId: string, id: string, columns: ReadonlyArray<keyof Credential & string>): SelectQueryBuilder<Credential> {
    const query = selectColumns(this.credentials.createQueryBuilder('c'), 'c', columns);
    return query.where('c.organizationId = :organizationId AND c.id = :id', { organizationId, id });
  }

  async insert(row: {
    id: string;
    organizationId: string;
    name: string;
    provider: string;
    credentialType: string;
    secret: EncryptedSecret;
  }): Promise<CredentialRow> {
    try {
      // A new credential has no resources: the row comes back whole, without a second read.
      const result = await this.credentials
        .createQueryBuilder()
        .insert()
        .values({
          id: row.id,
          organizationId: row.organizationId,
          name: row.name,
          provider: row.provider as ProviderName,
          credentialType: row.credentialType,
          ciphertext: row.secret.ciphertext,
          iv: row.secret.iv,
          authTag: row.secret.authTag,
          keyVersion: row.secret.keyVersion,
        })
        .returning([...PUBLIC_COLUMNS])
        .updateEntity(false)
        .execute();
      return { ...(result.raw as Omit<CredentialRow, 'resource_count'>[])[0], resource_count: 0 };
    } catch (error) {
      throw this.translate(error, row.name);
    }
  }

  findById(organizationId: string, id: string): Promise<CredentialRow | undefined> {
    return FIND_BY_ID.one<CredentialRow>(this.txHost.tx, { organizationId, id });
  }

  /** Just what linking a resource needs: no resource count. */
  findSummary(organizationId: string, id: string): Promise<CredentialSummary | undefined> {
    return FIND_SUMMARY.one<CredentialSummary>(this.txHost.tx, { organizationId, id });
  }

  list(organizationId: string): Promise<CredentialRow[]> {
    return LIST.many<CredentialRow>(this.txHost.tx, { organizationId });
  }

  /** Row lock for the rest of the transaction: resource inserts and moves onto it wait. */
  async lock(organizationId: string, id: string): Promise<CredentialSummary | undefined> {
    return this.byId(organizationId, id, SUMMARY_COLUMNS).setLock('pessimistic_write').getRawOne<CredentialSummary>();
  }

  async countResources(organizationId: string, id: string): Promise<number> {
    return this.resources
      .createQueryBuilder('r')
      .where('r.organizationId = :organizationId AND r.credentialId = :id', { organizationId, id })
      .getCount();
  }

  /** A foreign-key violation (23503) propagates: the service turns it into CREDENTIAL_IN_USE. */
  async delete(organizationId: string, id: string): Promise<void> {
    await this.credentials.delete({ organizationId, id });
  }

  async rename(organizationId: string, id: string, name: string): Promise<void> {
    try {
      await this.credentials.update({ organizationId, id }, { name, updatedAt: () => 'now()' });
    } catch (error) {
      throw this.translate(error, name);
    }
  }

  /** New keys: verification starts over, and the job picks the row up at once. */
  async replaceSecret(organizationId: string, id: string, secret: EncryptedSecret): Promise<void> {
    await this.credentials.update(
      { organizationId, id },
      {
        ciphertext: secret.ciphertext,
        iv: secret.iv,
        authTag: secret.authTag,
        keyVersion: secret.keyVersion,
        isValid: null,
        lastVerifiedAt: null,
        verificationError: null,
        verifyDueAt: () => 'now()',
        revision: () => 'revision + 1',
        updatedAt: () => 'now()',
      },
    );
  }

  /** Every provider call opens one: a compiled, prepared read. */
  async findSealed(organizationId: string, id: string): Promise<SealedCredential | undefined> {
    const row = await SEALED.one<SealedRow>(this.txHost.tx, { organizationId, id });
    return row ? toSealed(row) : undefined;
  }

  async moveResources(organizationId: string, fromId: string, toId: string): Promise<number> {
    // A moved resource is checked again with its new credential, as PATCH of credentialId does (§18).
    const result = await this.resources.update(
      { organizationId, credentialId: fromId },
      {
        credentialId: toId,
        lastVerifiedAt: null,
        verificationError: null,
        verifyDueAt: () => 'now()',
        revision: () => 'revision + 1',
        updatedAt: () => 'now()',
      },
    );
    return result.affected ?? 0;
  }

  /**
   * keys:rewrap: locks up to `limit` rows sealed under another key than `activeVersion`,
   * skipping rows live requests hold and the ids in `skip`. Across organizations unless one
   * is given: re-encryption is an operator's job over the whole table.
   */
  async lockSealedOnOlderKeys(
    activeVersion: number,
    limit: number,
    organizationId: string | null,
    skip: string[],
  ): Promise<SealedCredential[]> {
    const query = selectColumns(this.credentials.createQueryBuilder('c'), 'c', SEALED_COLUMNS).where('c.keyVersion <> :activeVersion', {
      activeVersion,
    });
    if (organizationId) {
      query.andWhere('c.organizationId = :organizationId', { organizationId });
    }
    if (skip.length > 0) {
      query.andWhere('c.id NOT IN (:...skip)', { skip });
    }
    const rows = await query.orderBy('c.id').limit(limit).setLock('pessimistic_write').setOnLocked('skip_locked').getRawMany<SealedRow>();
    return rows.map(toSealed);
  }

  /** keys:rewrap: the same secret under another key; validity and timestamps stay as they are. */
  async storeRewrapped(organizationId: string, id: string, secret: EncryptedSecret): Promise<void> {
    await this.credentials.update(
      { organizationId, id },
      { ciphertext: secret.ciphertext, iv: secret.iv, authTag: secret.authTag, keyVersion: secret.keyVersion },
    );
  }

  /** keys:rewrap: rows still sealed under another key than `activeVersion`. */
  async countOnOlderKeys(activeVersion: number, organizationId: string | null): Promise<number> {
    const query = this.credentials.createQueryBuilder('c').where('c.keyVersion <> :activeVersion', { activeVersion });
    if (organizationId) {
      query.andWhere('c.organizationId = :organizationId', { organizationId });
    }
    return query.getCount();
  }

  private translate(error: unknown, name: string): unknown {
    if (isPgError(error, PG_UNIQUE_VIOLATION, 'uq_credentials_org_name')) {
      return new CredentialNameTakenError(name);
    }
    return error;
  }
}
