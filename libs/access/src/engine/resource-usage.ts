import { Injectable } from '@nestjs/common';
import { ResourceUsage } from '@app/resources';
import { GrantLedger } from './grant-ledger';

/** What the resources library asks before a delete or a change of target (§13, §16). */
@Injectable()
export class EngineResourceUsage implements ResourceUsage {
  constructor(private readonly ledger: GrantLedger) {}

  usage(resourceId: string): Promise<{ sessions: number; staticRules: number; removing: number }> {
    return this.ledger.holdersOfResource(resourceId);
  }
}
