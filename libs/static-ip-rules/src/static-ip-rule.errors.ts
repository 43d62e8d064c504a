import { DomainError } from '@app/common';

export class StaticIpRuleNotFoundError extends DomainError {
  readonly code = 'STATIC_IP_RULE_NOT_FOUND';
  constructor(id: string) {
    super(`Static IP rule with ID ${id} not found`);
  }
}
