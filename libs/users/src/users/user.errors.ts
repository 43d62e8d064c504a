import { DomainError, ValidationError } from '@app/common';

export class UserNotFoundError extends DomainError {
  readonly code = 'USER_NOT_FOUND';
  constructor(id: string) {
    super(`User with ID ${id} not found`);
  }
}

export class UserAlreadyExistsError extends DomainError {
  readonly code = 'USER_ALREADY_EXISTS';
  constructor(email: string) {
    super(`A user with email '${email}' already exists in this organization`);
  }
}

/** What would take away the organization's last admin; each has the contract's own sentence (§9). */
export type AdminRemoval = 'demote' | 'deactivate' | 'delete';

export class LastAdminError extends DomainError {
  readonly code = 'LAST_ADMIN';
  constructor(action: AdminRemoval) {
    super(`Cannot ${action} the last organization admin`);
  }
}

/** Unknown, spent and expired invitation tokens: one answer, so a caller cannot tell which. */
export class InvalidInvitationError extends DomainError {
  readonly code = 'INVALID_TOKEN';
  constructor() {
    super('The invitation link is invalid or has expired');
  }
}

/** §9: resending an invitation that was accepted is a 400 VALIDATION_ERROR. */
export class InvitationAlreadyAcceptedError extends ValidationError {
  constructor() {
    super('The invitation was already accepted', [{ field: 'id', message: 'the user has already accepted the invitation' }]);
  }
}

export class InactiveInviteeError extends ValidationError {
  constructor() {
    super('The user is deactivated', [{ field: 'id', message: 'activate the user (isActive: true) before resending the invitation' }]);
  }
}
