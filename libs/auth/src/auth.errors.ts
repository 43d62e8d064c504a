import { DomainError, UnauthorizedError } from '@app/common';

export class OrganizationAlreadyExistsError extends DomainError {
  readonly code = 'ORGANIZATION_ALREADY_EXISTS';
  constructor(slug: string) {
    super(`An organization with slug '${slug}' already exists`);
  }
}

/** One message for every login mismatch, so a caller cannot tell which part was wrong. */
export class InvalidLoginError extends UnauthorizedError {
  constructor() {
    super('Invalid organization, email or password');
  }
}

export class InvalidRefreshTokenError extends UnauthorizedError {
  constructor() {
    super('Refresh token is invalid, expired or revoked');
  }
}
