import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { isPgError, PG_FOREIGN_KEY_VIOLATION, Principal, RequestContext, ValidationError } from '@app/common';
import { Transactional, TxHost } from '@app/database';
import { AuditService } from '@app/audit';
import { CredentialCipher } from './credential-cipher';
import { checkCredentialType, parseCredentialData } from './credential-data.validation';
import { CredentialInUseError, CredentialNotFoundError } from './credential.errors';
import { toCredentialDto } from './credential.mapper';
import { CredentialVerifier } from './credential-verifier';
import { CredentialsRepository } from './credentials.repository';
import {
  CreateCredentialDto,
  CredentialDto,
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
      if (dto.credentialData !== undefined) {
        const secret = parseCredentialData(current.provider, dto.credentialData);
        await this.repository.replaceSecret(organizationId, id, this.cipher.encrypt(secret.data, { organizationId, credentialId: id }));
        changedFields.push('credentialData');
      }
      await this.audit.record({
        eventType: 'CREDENTIAL_UPDATE',
        targetType: 'CREDENTIAL',
        targetId: id,
        targetName: dto.name ?? current.name,
        details: { changedFields, previousName: current.name, keysRotated: dto.credentialData !== undefined },
      });
      return this.mustFind(organizationId, id);
    });
    if (dto.credentialData !== undefined) {
      this.verifier.nudge();
    }
    return updated;
  }

  /** Exactly as the public page says: 204, or CREDENTIAL_IN_USE with the real count. */
  async delete(principal: Principal, id: string): Promise<void> {
    try {
      await this.deleteLocked(principal.organizationId, id);
    } catch (error) {
      if (isPgError(error, PG_FOREIGN_KEY_VIOLATION)) {
        // The foreign key is the backstop behind the row lock; count again outside the failed transaction.
        throw new CredentialInUseError(await this.repository.countResources(principal.organizationId, id));
      }
      throw error;
    }
  }

  @Transactional()
  private async deleteLocked(organizationId: string, id: string): Promise<void> {
    const credential = await this.repository.lock(organizationId, id);
    if (!credential) {
      throw new CredentialNotFoundError(id);
    }
    this.context.nameTarget(credential.name);
    const linked = await this.repository.countResources(organizationId, id);
    if (linked > 0) {
      throw new CredentialInUseError(linked);
    }
    await this.repository.delete(organizationId, id);
    await this.audit.record({
      eventType: 'CREDENTIAL_DELETE',
      targetType: 'CREDENTIAL',
      targetId: id,
      targetName: credential.name,
      details: { name: credential.name, provider: credential.provider },
    });
  }

  async verify(principal: Principal, id: string): Promise<CredentialDto> {
    await this.verifier.verifyNow(principal.organizationId, id);
    return this.mustFind(principal.organizationId, id);
  }

  @Transactional()
  async migrateResources(principal: Principal, id: string, dto: MigrateResourcesDto): Promise<MigrateResourcesResponseDto> {
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
  }

  private async mustFind(organizationId: string, id: string): Promise<CredentialDto> {
    const row = await this.repository.findById(organizationId, id);
    if (!row) {
      throw new CredentialNotFoundError(id);
    }
    return toCredentialDto(row);
  }
}
