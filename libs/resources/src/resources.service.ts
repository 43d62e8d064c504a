import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { Principal, RequestContext, ValidationError } from '@app/common';
import { TxHost } from '@app/database';
import { AuditService } from '@app/audit';
import { CreateResourceDto, ListResourcesQueryDto, ResourceDto, UpdateResourceDto } from './dto/resource.dto';
import { CREDENTIAL_ACCESS, CredentialAccess, LinkableCredential } from './ports/credential-access.port';
import { LinkedCredentialNotFoundError, ResourceInUseError, ResourceNotFoundError, VerificationFailedError } from './resource.errors';
import { RESOURCE_USAGE, ResourceUsage } from './ports/resource-usage.port';
import { validateResourcePatchShape, validateResourceSpec } from './resource-spec.validation';
import { ResourceVerifier } from './resource-verifier';
import { ResourceRow, ResourcesRepository, ResourceWrite, toResourceDto } from './resources.repository';

/** Fields whose change means the provider must be asked again. */
const IDENTITY_FIELDS = ['credentialId', 'resourceIdentifier', 'region', 'config'] as const;
/** Fields that move the firewall itself: rules held on the old target would be stranded (§13). */
const TARGET_FIELDS = ['resourceIdentifier', 'region', 'config'] as const;

@Injectable()
export class ResourcesService {
  constructor(
    private readonly repository: ResourcesRepository,
    private readonly audit: AuditService,
    private readonly verifier: ResourceVerifier,
    private readonly txHost: TxHost,
    @Inject(CREDENTIAL_ACCESS) private readonly credentials: CredentialAccess,
    private readonly context: RequestContext,
    @Inject(RESOURCE_USAGE) private readonly usage: ResourceUsage,
  ) {}

  async create(principal: Principal, dto: CreateResourceDto): Promise<ResourceDto> {
    const write: ResourceWrite = {
      name: dto.name,
      credentialId: dto.credentialId,
      provider: dto.provider,
      resourceType: dto.resourceType,
      resourceIdentifier: dto.resourceIdentifier,
      region: dto.region ?? null,
      config: dto.config ?? {},
      isActive: false,
    };
    validateResourceSpec({ ...write, provider: dto.provider });
    const organizationId = principal.organizationId;
    const id = randomUUID();
    const created = await this.txHost.withTransaction(async () => {
      const credential = await this.linkableCredential(organizationId, dto.credentialId);
      this.checkProvider(credential, dto.provider);
      await this.repository.insert(organizationId, id, write);
      await this.audit.record({
        eventType: 'RESOURCE_CREATE',
        targetType: 'RESOURCE',
        targetId: id,
        targetName: dto.name,
        details: {
          name: dto.name,
          provider: dto.provider,
          resourceType: dto.resourceType,
          resourceIdentifier: dto.resourceIdentifier,
          region: write.region,
          credentialId: credential.id,
          credentialName: credential.name,
        },
      });
      return this.mustFind(organizationId, id);
    });
    this.verifier.nudge();
    return created;
  }

  async list(principal: Principal, query: ListResourcesQueryDto): Promise<ResourceDto[]> {
    const rows = await this.repository.list(principal.organizationId, query);
    return rows.map(toResourceDto);
  }

  get(principal: Principal, id: string): Promise<ResourceDto> {
    return this.mustFind(principal.organizationId, id);
  }

  async update(principal: Principal, id: string, dto: UpdateResourceDto): Promise<ResourceDto> {
    const fields = Object.keys(dto).filter((key) => (dto as Record<string, unknown>)[key] !== undefined);
    if (!fields.length) {
      throw new ValidationError('Request validation failed', [{ field: 'body', message: 'provide at least one field to change' }]);
    }
    validateResourcePatchShape(dto.config);
    const organizationId = principal.organizationId;
    let reverify = false;
    const updated = await this.txHost.withTransaction(async () => {
      const current = await this.repository.lock(organizationId, id);
      if (!current) {
        throw new ResourceNotFoundError(id);
      }
      this.context.nameTarget(current.name);
      const write = merge(current, dto);
      validateResourceSpec({ ...write, provider: current.provider });
      if (write.credentialId !== current.credential_id) {
        this.checkProvider(await this.linkableCredential(organizationId, write.credentialId), current.provider);
      }
      const changedFields = changed(current, write);
      reverify = IDENTITY_FIELDS.some((field) => changedFields.includes(field));
      if (TARGET_FIELDS.some((field) => changedFields.includes(field))) {
        const holders = await this.usage.usage(id);
        if (holders.sessions + holders.staticRules + holders.removing > 0) {
          throw ResourceInUseError.retarget();
        }
      }
      if (reverify && dto.isActive === undefined) {
        write.isActive = false;
      }
      await this.repository.update(organizationId, id, write, reverify);
      await this.audit.record({
        eventType: 'RESOURCE_UPDATE',
        targetType: 'RESOURCE',
        targetId: id,
        targetName: write.name,
        details: {
          changedFields,
          previousName: current.name,
          previousCredentialId: current.credential_id,
          credentialId: write.credentialId,
        },
      });
      return this.mustFind(organizationId, id);
    });
    if (reverify) {
      this.verifier.nudge();
    }
    return updated;
  }

  async delete(principal: Principal, id: string): Promise<void> {
    await this.txHost.withTransaction(async () => {
      const current = await this.repository.lock(principal.organizationId, id);
      if (!current) {
        throw new ResourceNotFoundError(id);
      }
      // Under the resource's row lock: a session starting on it waits for this, or this sees its holders.
      const holders = await this.usage.usage(id);
      if (holders.sessions > 0 || holders.removing > 0) {
        throw ResourceInUseError.bySessions();
      }
      if (holders.staticRules > 0) {
        throw ResourceInUseError.byStaticRules(holders.staticRules);
      }
      await this.repository.delete(principal.organizationId, id);
      await this.audit.record({
        eventType: 'RESOURCE_DELETE',
        targetType: 'RESOURCE',
        targetId: id,
        targetName: current.name,
        details: { name: current.name, resourceIdentifier: current.resource_identifier, credentialId: current.credential_id },
      });
    });
  }

  /** Success: 200 with isActive true. Failure: the verdict is saved and audited, then 400. */
  async verify(principal: Principal, id: string): Promise<ResourceDto> {
    const row = await this.repository.findById(principal.organizationId, id);
    if (!row) {
      throw new ResourceNotFoundError(id);
    }
    let check = await this.verifier.verifyAndSave(row, true);
    if (check.stale) {
      // Changed during the check: check what it is now, once, so the answer is about that.
      const current = await this.repository.findById(principal.organizationId, id);
      if (!current) {
        throw new ResourceNotFoundError(id);
      }
      check = await this.verifier.verifyAndSave(current, true);
    }
    if (!check.ok) {
      const error = new VerificationFailedError(check.reason ?? 'the provider refused the check');
      error.auditRecorded = true;
      throw error;
    }
    return this.mustFind(principal.organizationId, id);
  }

  private async linkableCredential(organizationId: string, credentialId: string): Promise<LinkableCredential> {
    const credential = await this.credentials.find(organizationId, credentialId);
    if (!credential) {
      throw new LinkedCredentialNotFoundError(credentialId);
    }
    return credential;
  }

  private checkProvider(credential: LinkableCredential, provider: string): void {
    if (credential.provider !== provider) {
      throw new ValidationError('Request validation failed', [
        { field: 'credentialId', message: `the credential is for ${credential.provider}, but the resource is ${provider}` },
      ]);
    }
  }

  private async mustFind(organizationId: string, id: string): Promise<ResourceDto> {
    const row = await this.repository.findById(organizationId, id);
    if (!row) {
      throw new ResourceNotFoundError(id);
    }
    return toResourceDto(row);
  }
}

function merge(current: ResourceRow, dto: UpdateResourceDto): ResourceWrite {
  return {
    name: dto.name ?? current.name,
    credentialId: dto.credentialId ?? current.credential_id,
    provider: current.provider,
    resourceType: current.resource_type,
    resourceIdentifier: dto.resourceIdentifier ?? current.resource_identifier,
    region: dto.region === undefined ? current.region : dto.region,
    config: dto.config ?? current.config,
    isActive: dto.isActive ?? current.is_active,
  };
}

function changed(current: ResourceRow, write: ResourceWrite): string[] {
  const pairs: Array<[string, unknown, unknown]> = [
    ['name', current.name, write.name],
    ['credentialId', current.credential_id, write.credentialId],
    ['resourceIdentifier', current.resource_identifier, write.resourceIdentifier],
    ['region', current.region, write.region],
    ['config', JSON.stringify(current.config), JSON.stringify(write.config)],
    ['isActive', current.is_active, write.isActive],
  ];
  return pairs.filter(([, before, after]) => before !== after).map(([field]) => field);
}
