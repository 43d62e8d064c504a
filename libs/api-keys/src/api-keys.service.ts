import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { ForbiddenError, Principal, RequestContext, ValidationError } from '@app/common';
import { TxHost } from '@app/database';
import { AuditService } from '@app/audit';
import { apiKeyHash } from '@app/auth';
import { ApiKeyNotFoundError } from './api-key.errors';
import { generateApiKey } from './api-key.generator';
import { toApiKeyDto, toCreatedApiKeyDto } from './api-key.mapper';
import { ApiKeysRepository } from './api-keys.repository';
import { ApiKeyDto, CreateApiKeyDto, CreatedApiKeyDto } from './dto/api-key.dto';

/** API keys (§15): created by an admin, shown once, listed by prefix, revoked but never deleted. */
@Injectable()
export class ApiKeysService {
  constructor(
    private readonly repository: ApiKeysRepository,
    private readonly audit: AuditService,
    private readonly txHost: TxHost,
    private readonly context: RequestContext,
  ) {}

  async create(principal: Principal, dto: CreateApiKeyDto): Promise<CreatedApiKeyDto> {
    // The guard already refuses keys here (the route names no scope); a key minting keys would
    // outlive its own revocation, so the rule is kept where the key is made too.
    if (principal.kind !== 'user') {
      throw new ForbiddenError('API keys cannot create API keys');
    }
    this.context.nameTarget(dto.name);
    const expiresAt = dto.expiresAt ? new Date(dto.expiresAt) : null;
    if (expiresAt && expiresAt.getTime() <= Date.now()) {
      throw new ValidationError('Request validation failed', [{ field: 'expiresAt', message: 'expiresAt must be in the future' }]);
    }
    const organizationId = principal.organizationId;
    const id = randomUUID();
    const { key, prefix } = generateApiKey();
    return this.txHost.withTransaction(async () => {
      await this.repository.insert(organizationId, {
        id,
        createdBy: principal.userId,
        name: dto.name,
        description: dto.description ?? null,
        keyPrefix: prefix,
        keyHash: apiKeyHash(key),
        scopes: dto.scopes,
        expiresAt,
      });
      await this.audit.record({
        eventType: 'API_KEY_CREATE',
        targetType: 'API_KEY',
        targetId: id,
        targetName: dto.name,
        details: { name: dto.name, keyPrefix: prefix, scopes: dto.scopes, expiresAt: expiresAt?.toISOString() ?? null },
      });
      return toCreatedApiKeyDto(await this.mustFind(organizationId, id), key);
    });
  }

  async list(principal: Principal): Promise<ApiKeyDto[]> {
    return (await this.repository.list(principal.organizationId)).map(toApiKeyDto);
  }

  /** 204 whether or not it was revoked already; the first revocation's time stays, and only it is audited. */
  revoke(principal: Principal, id: string): Promise<void> {
    const organizationId = principal.organizationId;
    return this.txHost.withTransaction(async () => {
      const key = await this.repository.lock(organizationId, id);
      if (!key) {
        throw new ApiKeyNotFoundError(id);
      }
      this.context.nameTarget(key.name);
      if (key.revoked_at) {
        return;
      }
      await this.repository.revoke(organizationId, id);
      await this.audit.record({
        eventType: 'API_KEY_REVOKE',
        targetType: 'API_KEY',
        targetId: id,
        targetName: key.name,
        details: { name: key.name, keyPrefix: key.key_prefix },
      });
    });
  }

  private async mustFind(organizationId: string, id: string) {
    const row = await this.repository.find(organizationId, id);
    if (!row) {
      throw new ApiKeyNotFoundError(id);
    }
    return row;
  }
}
