import { DomainError, UnauthorizedError } from '@app/common';

/** One message for an unknown, spent and expired token, so the answer never tells which it was. */
export class InvalidTokenError extends DomainError {
  readonly code = 'INVALID_TOKEN';
  constructor(message: string) {
    super(message);
  }
}

export const INVALID_RESET_TOKEN = 'The reset link is invalid or has expired';
export const INVALID_PASSWORD_CHANGE_TOKEN = 'The password change token is invalid or has expired';

export class CurrentPasswordIncorrectError extends UnauthorizedError {
  constructor() {
    super('Current password is incorrect');
  }
}
