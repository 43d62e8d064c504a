import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { QueryDeepPartialEntity, Repository } from 'typeorm';
import { TxHost } from '@app/database';
import { HealthEventType, ResourceHealthEvent } from './resource-health-event.entity';

export interface HealthEventInput {
  organizationId: string;
  resourceId: string;
  resourceName: string;
  eventType: HealthEventType;
  message: string | null;
  details?: Record<string, unknown> | null;
}

@Injectable()
export class ResourceHealthRepository {
  constructor(
    @InjectRepository(ResourceHealthEvent) private readonly events: Repository<ResourceHealthEvent>,
    private readonly txHost: TxHost,
  ) {}

  /** In the caller's transaction, if any: the event commits with the state change it reports. */
  async record(event: HealthEventInput): Promise<void> {
    await this.txHost.tx
      .getRepository(ResourceHealthEvent)
      .insert({ ...event, details: event.details ?? null } as QueryDeepPartialEntity<ResourceHealthEvent>);
  }

  async page(organizationId: string, resourceId: string | undefined, page: number, size: number) {
    const query = this.events.createQueryBuilder('e').where('e.organizationId = :organizationId', { organizationId });
    if (resourceId) {
      query.andWhere('e.resourceId = :resourceId', { resourceId });
    }
    const [rows, total] = await Promise.all([
      query
        .clone()
        .orderBy('e.createdAt', 'DESC')
        .addOrderBy('e.id', 'DESC')
        .offset(page * size)
        .limit(size)
        .getMany(),
      query.getCount(),
    ]);
    return { rows, total };
  }
}
