import { Injectable } from '@nestjs/common';
import { GrantLedger, IdempotencyStore, RULE_DESCRIPTION_PREFIX } from '@app/access';
import { AuditService } from '@app/audit';
import { Principal, RequestContext, toIsoUtc } from '@app/common';
import { TxHost } from '@app/database';
import { ResourceNotFoundError } from '@app/resources';
import { CreateStaticIpRuleDto, StaticIpRuleDto } from './dto/static-ip-rule.dto';
import { normalizeRuleAddress } from './static-ip-address';
import { StaticIpRuleNotFoundError } from './static-ip-rule.errors';
import { RuleWithTargets, StaticIpRulesRepository } from './static-ip-rules.repository';

/** Static IP rules (§16): permanent grant holders that the admin manages and the engine keeps applied. */
@Injectable()
export class StaticIpRulesService {
  constructor(
    private readonly repository: StaticIpRulesRepository,
    private readonly ledger: GrantLedger,
    private readonly idempotency: IdempotencyStore,
    private readonly audit: AuditService,
    private readonly txHost: TxHost,
    private readonly context: RequestContext,
  ) {}

  async create(principal: Principal, dto: CreateStaticIpRuleDto, idempotencyKey: string | undefined): Promise<StaticIpRuleDto> {
    const ipAddress = normalizeRuleAddress(dto.ipAddress);
    // UUIDs in any letter case name one resource: compared, and stored, in one form.
    const resourceIds = [...new Set(dto.resourceIds.map((id) => id.toLowerCase()))];
    const { organizationId } = principal;
    const scope = { organizationId, userId: principal.userId, operation: 'POST /static-ip-rules' };
    return this.txHost.withTransaction(async () => {
      if (idempotencyKey !== undefined) {
        const begun = await this.idempotency.begin<StaticIpRuleDto>(scope, idempotencyKey, dto);
        if ('replay' in begun) {
          return begun.replay;
        }
      }
      const resources = await this.repository.lockResources(organizationId, resourceIds);
      const missing = resourceIds.find((id) => !resources.some((resource) => resource.id === id));
      if (missing) {
        throw new ResourceNotFoundError(missing);
      }
      const rule = await this.repository.insertRule(organizationId, dto.label, ipAddress, principal.email);
      this.context.nameTarget(dto.label);
      const targets = await this.repository.insertTargets(organizationId, rule.id, resourceIds);
      await this.ledger.hold(
        'STATIC',
        targets.map((target) => ({
          holderId: target.id,
          organizationId,
          resourceId: target.resourceId,
          cidr: ipAddress,
          description: `${RULE_DESCRIPTION_PREFIX} static rule ${rule.id}`,
        })),
      );
      await this.audit.record({
        eventType: 'STATIC_IP_RULE_CREATE',
        targetType: 'STATIC_IP_RULE',
        targetId: rule.id,
        targetName: dto.label,
        details: { label: dto.label, ipAddress, resourceIds, resourceCount: resourceIds.length },
      });
      const created = await this.mustFind(organizationId, rule.id);
      if (idempotencyKey !== undefined) {
        await this.idempotency.finish(scope, idempotencyKey, 201, created);
      }
      return created;
    });
  }

  async list(principal: Principal): Promise<StaticIpRuleDto[]> {
    return (await this.repository.list(principal.organizationId)).map(toDto);
  }

  async get(principal: Principal, id: string): Promise<StaticIpRuleDto> {
    return this.mustFind(principal.organizationId, id);
  }

  /** Gone from the API at once; its provider rules are removed in the background unless another holder needs them. */
  async delete(principal: Principal, id: string): Promise<void> {
    await this.txHost.withTransaction(async () => {
      const found = await this.repository.find(principal.organizationId, id);
      if (!found) {
        throw new StaticIpRuleNotFoundError(id);
      }
      this.context.nameTarget(found.rule.label);
      await this.ledger.release(
        'STATIC',
        found.targets.map((target) => target.id),
      );
      const locked = await this.repository.lockRule(principal.organizationId, id);
      if (!locked) {
        throw new StaticIpRuleNotFoundError(id);
      }
      await this.repository.deleteRule(principal.organizationId, id);
      await this.audit.record({
        eventType: 'STATIC_IP_RULE_DELETE',
        targetType: 'STATIC_IP_RULE',
        targetId: id,
        targetName: found.rule.label,
        details: { label: found.rule.label, ipAddress: found.rule.ipAddress, resourceCount: found.targets.length },
      });
    });
  }

  private async mustFind(organizationId: string, id: string): Promise<StaticIpRuleDto> {
    const found = await this.repository.find(organizationId, id);
    if (!found) {
      throw new StaticIpRuleNotFoundError(id);
    }
    return toDto(found);
  }
}

function toDto({ rule, targets }: RuleWithTargets): StaticIpRuleDto {
  const applied = targets.filter((t) => t.status === 'APPLIED').length;
  const pending = targets.filter((t) => t.status === 'PENDING').length;
  const status = pending > 0 ? 'PENDING' : applied === targets.length ? 'ACTIVE' : applied === 0 ? 'FAILED' : 'PARTIAL';
  return {
    id: rule.id,
    label: rule.label,
    ipAddress: rule.ipAddress,
    status,
    createdByEmail: rule.createdByEmail,
    createdAt: toIsoUtc(rule.createdAt) as string,
    resources: targets.map((target) => ({
      resourceId: target.resourceId,
      resourceName: target.resourceName,
      status: target.status,
      appliedAt: target.appliedAt ? toIsoUtc(target.appliedAt) : null,
      errorMessage: target.errorMessage,
    })),
  };
}
