import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { isPgError, PG_FOREIGN_KEY_VIOLATION, Principal, RequestContext, ValidationError } from '@app/common';
import { TxHost } from '@app/database';
import { AuditService } from '@app/audit';
import { CredentialSecret, KeyRevocation, ProviderName, ProviderRegistry } from '@app/providers';
import { CredentialCipher } from './credential-cipher';
import { checkCredentialType, parseCredentialData } from './credential-data.validation';
import { CredentialInUseError, CredentialNotFoundError, NewKeysRejectedError, ProviderRevocationFailedError } from './credential.errors';
import { toCredentialDto } from './credential.mapper';
import { CredentialVerifier } from './credential-verifier';
import { CredentialsRepository } from './credentials.repository';
import {
  CreateCredentialDto,
  CredentialDto,
  DeleteCredentialQueryDto,
  MigrateResourcesDto,
  MigrateResourcesResponseDto,
  UpdateCredentialDto,
} from './dto/credential.dto';

@Injectable()
export class CredentialsService {
  constructor(
    private readonly repository: CredentialsRepository,
    private readonly cipher: CredentialCipher,
    private readonly audit: AuditService,
    private readonly verifier: CredentialVerifier,
    private readonly txHost: TxHost,
    private readonly context: RequestContext,
    private readonly providers: ProviderRegistry,
  ) {}

  async create(principal: Principal, dto: CreateCredentialDto): Promise<CredentialDto> {
    checkCredentialType(dto.provider, dto.credentialType);
    const secret = parseCredentialData(dto.provider, dto.credentialData);
    const id = randomUUID();
    const organizationId = principal.organizationId;
    const created = await this.txHost.withTransaction(async () => {
      const row = await this.repository.insert({
        id,
        organizationId,
        name: dto.name,
        provider: dto.provider,
        credentialType: dto.credentialType,
        secret: this.cipher.encrypt(secret.data, { organizationId, credentialId: id }),
      });
      await this.audit.record({
        eventType: 'CREDENTIAL_CREATE',
        targetType: 'CREDENTIAL',
        targetId: id,
        targetName: dto.name,
        details: { name: dto.name, provider: dto.provider, credentialType: dto.credentialType },
      });
      return toCredentialDto(row);
    });
    // After the commit, never delaying the 201: the job also catches it if this instance dies.
    this.verifier.nudge();
    return created;
  }

  list(principal: Principal): Promise<CredentialDto[]> {
    return this.repository.list(principal.organizationId).then((rows) => rows.map(toCredentialDto));
  }

  get(principal: Principal, id: string): Promise<CredentialDto> {
    return this.mustFind(principal.organizationId, id);
  }

  async update(principal: Principal, id: string, dto: UpdateCredentialDto): Promise<CredentialDto> {
    if (dto.name === undefined && dto.credentialData === undefined) {
      throw new ValidationError('Request validation failed', [{ field: 'body', message: 'provide name, credentialData or both' }]);
    }
    if (dto.revokePreviousKeys && dto.credentialData === undefined) {
      throw new ValidationError('Request validation failed', [
        { field: 'revokePreviousKeys', message: 'revokePreviousKeys needs credentialData: the new keys that replace the revoked ones' },
      ]);
    }
    const organizationId = principal.organizationId;
    const updated = await this.txHost.withTransaction(async () => {
      const current = await this.repository.lock(organizationId, id);
      if (!current) {
        throw new CredentialNotFoundError(id);
      }
      this.context.nameTarget(current.name);
      const changedFields: string[] = [];
      if (dto.name !== undefined && dto.name !== current.name) {
        await this.repository.rename(organizationId, id, dto.name);
        changedFields.push('name');
      }
      let revokedKeyId: string | undefined;
      if (dto.credentialData !== undefined) {
        const secret = parseCredentialData(current.provider, dto.credentialData);
        if (dto.revokePreviousKeys) {
          // The row stays locked meanwhile: a concurrent rotation waits rather than racing the revocation.
          revokedKeyId = await this.rotateAtProvider(organizationId, id, current.provider, secret as CredentialSecret);
        }
        await this.repository.replaceSecret(organizationId, id, this.cipher.encrypt(secret.data, { organizationId, credentialId: id }));
        changedFields.push('credentialData');
      }
      await this.audit.record({
        eventType: 'CREDENTIAL_UPDATE',
        targetType: 'CREDENTIAL',
        targetId: id,
        targetName: dto.name ?? current.name,
        details: {
          changedFields,
          previousName: current.name,
          keysRotated: dto.credentialData !== undefined,
          ...(revokedKeyId ? { revokedAtProvider: true, revokedKeyId } : {}),
        },
      });
      return this.mustFind(organizationId, id);
    });
    if (dto.credentialData !== undefined) {
      this.verifier.nudge();
    }
    return updated;
  }

  /** Exactly as the public page says: 204, or CREDENTIAL_IN_USE with the real count. */
  async delete(principal: Principal, id: string, query: DeleteCredentialQueryDto = {}): Promise<void> {
    try {
      await this.deleteLocked(principal.organizationId, id, query.revokeAtProvider === 'true');
    } catch (error) {
      if (isPgError(error, PG_FOREIGN_KEY_VIOLATION)) {
        // The foreign key is the backstop behind the row lock; count again outside the failed transaction.
        throw new CredentialInUseError(await this.repository.countResources(principal.organizationId, id));
      }
      throw error;
    }
  }

  private deleteLocked(organizationId: string, id: string, revokeAtProvider: boolean): Promise<void> {
    return this.txHost.withTransaction(async () => {
      const credential = await this.repository.lock(organizationId, id);
      if (!credential) {
        throw new CredentialNotFoundError(id);
      }
      this.context.nameTarget(credential.name);
      const linked = await this.repository.countResources(organizationId, id);
      if (linked > 0) {
        throw new CredentialInUseError(linked);
      }
      // §19: the seed's rules first, then the provider; a refusal rolls back before anything is deleted.
      const revokedKeyId = revokeAtProvider ? await this.revokeAtProvider(organizationId, id, credential.provider) : undefined;
      await this.repository.delete(organizationId, id);
      await this.audit.record({
        eventType: 'CREDENTIAL_DELETE',
        targetType: 'CREDENTIAL',
        targetId: id,
        targetName: credential.name,
        details: {
          name: credential.name,
          provider: credential.provider,
          ...(revokedKeyId ? { revokedAtProvider: true, revokedKeyId } : {}),
        },
      });
    });
  }

  /** Deactivates the stored key with its own keys (delete with revokeAtProvider). */
  private async revokeAtProvider(organizationId: string, id: string, provider: ProviderName): Promise<string> {
    const revocation = this.revocationFor(provider, 'revokeAtProvider');
    const stored = await this.openStored(organizationId, id);
    const outcome = await revocation.deactivate(stored, stored);
    if (!outcome.ok) {
      throw revocationRefused(outcome, 'revokeAtProvider');
    }
    return outcome.revokedKeyId;
  }

  /**
   * A rotation that retires the old key (PATCH with revokePreviousKeys): the new keys must work and
   * belong to the same account as the old key, then they deactivate it. Only then are they stored.
   */
  private async rotateAtProvider(organizationId: string, id: string, provider: ProviderName, fresh: CredentialSecret): Promise<string> {
    const revocation = this.revocationFor(provider, 'revokePreviousKeys');
    const stored = await this.openStored(organizationId, id);
    // The one check that needs no provider call goes first.
    if (accessKeyIdOf(fresh) === accessKeyIdOf(stored)) {
      throw new NewKeysRejectedError('The new keys are the stored keys; revoking them would leave the credential with a dead key.');
    }
    const identity = await revocation.identify(fresh);
    if (!identity.ok) {
      throw new NewKeysRejectedError(identity.reason);
    }
    const previous = await revocation.accountOfKey(fresh, stored);
    if (!previous.ok) {
      throw new ProviderRevocationFailedError(previous.reason);
    }
    if (previous.account !== identity.account) {
      throw new NewKeysRejectedError(
        `The new keys belong to AWS account ${identity.account}, the old key to account ${previous.account}; a rotation keeps the account.`,
      );
    }
    const outcome = await revocation.deactivate(fresh, stored);
    if (!outcome.ok) {
      throw revocationRefused(outcome, 'revokePreviousKeys');
    }
    return outcome.revokedKeyId;
  }

  private revocationFor(provider: ProviderName, flag: 'revokeAtProvider' | 'revokePreviousKeys'): KeyRevocation {
    const revocation = this.providers.adapterFor(provider).keyRevocation;
    if (!revocation) {
      throw new ValidationError('Request validation failed', [
        {
          field: flag,
          message: `${flag} is not available for ${provider} credentials: EntryGuard cannot revoke ${provider} keys through the provider's API, so revoke them in ${provider} itself`,
        },
      ]);
    }
    return revocation;
  }

  private async openStored(organizationId: string, id: string): Promise<CredentialSecret> {
    const sealed = await this.repository.findSealed(organizationId, id);
    if (!sealed) {
      throw new CredentialNotFoundError(id);
    }
    try {
      return this.cipher.open(sealed.provider, sealed.secret, { organizationId, credentialId: id });
    } catch {
      // A row no configured key opens (a key version removed too early): nothing can be sent to revoke.
      throw new ProviderRevocationFailedError('The stored keys could not be decrypted with the configured encryption keys.');
    }
  }

  async verify(principal: Principal, id: string): Promise<CredentialDto> {
    await this.verifier.verifyNow(principal.organizationId, id);
    return this.mustFind(principal.organizationId, id);
  }

  migrateResources(principal: Principal, id: string, dto: MigrateResourcesDto): Promise<MigrateResourcesResponseDto> {
    return this.txHost.withTransaction(async () => {
      const organizationId = principal.organizationId;
      if (dto.targetCredentialId === id) {
        throw new ValidationError('Request validation failed', [
          { field: 'targetCredentialId', message: 'targetCredentialId must differ from the source credential' },
        ]);
      }
      // Lock both in id order, so two opposite migrations cannot deadlock.
      const locked = new Map<string, Awaited<ReturnType<CredentialsRepository['lock']>>>();
      for (const key of [id, dto.targetCredentialId].sort()) {
        locked.set(key, await this.repository.lock(organizationId, key));
      }
      const source = locked.get(id);
      const target = locked.get(dto.targetCredentialId);
      if (!source) {
        throw new CredentialNotFoundError(id);
      }
      this.context.nameTarget(source.name);
      if (!target) {
        throw new CredentialNotFoundError(dto.targetCredentialId);
      }
      if (source.provider !== target.provider) {
        throw new ValidationError('Request validation failed', [
          {
            field: 'targetCredentialId',
            message: `target credential must use the same provider (${source.provider}), not ${target.provider}`,
          },
        ]);
      }
      const movedResourceCount = await this.repository.moveResources(organizationId, id, target.id);
      await this.audit.record({
        eventType: 'CREDENTIAL_RESOURCES_MIGRATE',
        targetType: 'CREDENTIAL',
        targetId: id,
        targetName: source.name,
        details: { sourceCredentialId: id, targetCredentialId: target.id, credentialName: target.name, movedResourceCount },
      });
      return { movedResourceCount, targetCredentialId: target.id };
    });
  }

  private async mustFind(organizationId: string, id: string): Promise<CredentialDto> {
    const row = await this.repository.findById(organizationId, id);
    if (!row) {
      throw new CredentialNotFoundError(id);
    }
    return toCredentialDto(row);
  }
}

function accessKeyIdOf(secret: CredentialSecret): string | undefined {
  return (secret.data as { accessKeyId?: string }).accessKeyId;
}

/**
 * Keys the provider cannot deactivate through its API (temporary AWS keys) are the client's
 * choice of flag, not a provider refusal: 400 VALIDATION_ERROR naming the flag, as for APISIX (§19).
 */
function revocationRefused(outcome: { kind: string; reason: string }, flag: 'revokeAtProvider' | 'revokePreviousKeys'): Error {
  if (outcome.kind === 'UNSUPPORTED') {
    return new ValidationError('Request validation failed', [{ field: flag, message: `${flag} is not available here: ${outcome.reason}` }]);
  }
  return new ProviderRevocationFailedError(outcome.reason);
}
