import { DomainError } from '@app/common';

export class ApiKeyNotFoundError extends DomainError {
  readonly code = 'API_KEY_NOT_FOUND';
  constructor(id: string) {
    super(`API key with ID ${id} not found`);
  }
}
