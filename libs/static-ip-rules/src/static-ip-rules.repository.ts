import { Injectable } from '@nestjs/common';
import { In } from 'typeorm';
import { StaticIpRule, StaticIpRuleResource } from '@app/access';
import { TxHost } from '@app/database';

export interface RuleWithTargets {
  rule: StaticIpRule;
  targets: Array<StaticIpRuleResource & { resourceName: string }>;
}

/** Static rules and their targets, always scoped by organization. Holding and releasing grants is the engine's. */
@Injectable()
export class StaticIpRulesRepository {
  constructor(private readonly txHost: TxHost) {}

  async insertRule(organizationId: string, label: string, ipAddress: string, createdByEmail: string | null): Promise<StaticIpRule> {
    return this.txHost.tx.getRepository(StaticIpRule).save({ organizationId, label, ipAddress, createdByEmail });
  }

  async insertTargets(organizationId: string, ruleId: string, resourceIds: string[]): Promise<StaticIpRuleResource[]> {
    const repository = this.txHost.tx.getRepository(StaticIpRuleResource);
    return repository.save(resourceIds.map((resourceId) => repository.create({ organizationId, ruleId, resourceId, status: 'PENDING' })));
  }

  /** The organization's resources among `ids`, locked for share (a delete of one waits, or this sees it gone). */
  async lockResources(organizationId: string, ids: string[]): Promise<Array<{ id: string; name: string }>> {
    return this.txHost.tx.query(`SELECT id, name FROM resources WHERE organization_id = $1 AND id = ANY($2) ORDER BY id FOR SHARE`, [
      organizationId,
      ids,
    ]);
  }

  async lockRule(organizationId: string, id: string): Promise<StaticIpRule | null> {
    return this.txHost.tx
      .getRepository(StaticIpRule)
      .createQueryBuilder('r')
      .where('r.organizationId = :organizationId AND r.id = :id', { organizationId, id })
      .setLock('pessimistic_write')
      .getOne();
  }

  async deleteRule(organizationId: string, id: string): Promise<void> {
    await this.txHost.tx.getRepository(StaticIpRule).delete({ organizationId, id });
  }

  async find(organizationId: string, id: string): Promise<RuleWithTargets | undefined> {
    const rule = await this.txHost.tx.getRepository(StaticIpRule).findOneBy({ organizationId, id });
    if (!rule) {
      return undefined;
    }
    return (await this.withTargets([rule]))[0];
  }

  async list(organizationId: string): Promise<RuleWithTargets[]> {
    const rules = await this.txHost.tx
      .getRepository(StaticIpRule)
      .find({ where: { organizationId }, order: { createdAt: 'DESC', id: 'DESC' } });
    return this.withTargets(rules);
  }

  private async withTargets(rules: StaticIpRule[]): Promise<RuleWithTargets[]> {
    if (rules.length === 0) {
      return [];
    }
    const targets: Array<StaticIpRuleResource & { resourceName: string }> = await this.txHost.tx
      .getRepository(StaticIpRuleResource)
      .createQueryBuilder('t')
      .innerJoin('resources', 'r', 'r.id = t.resource_id')
      .addSelect('r.name', 'resource_name')
      .where({ ruleId: In(rules.map((rule) => rule.id)) })
      .orderBy('r.name')
      .getRawAndEntities()
      .then(({ entities, raw }) =>
        entities.map((entity, i) => ({ ...entity, resourceName: (raw[i] as { resource_name: string }).resource_name })),
      );
    return rules.map((rule) => ({ rule, targets: targets.filter((target) => target.ruleId === rule.id) }));
  }
}
