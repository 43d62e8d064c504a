import { DomainError } from '@app/common';

export class RoleNotFoundError extends DomainError {
  readonly code = 'ROLE_NOT_FOUND';
  constructor(id: string) {
    super(`Role with ID ${id} not found`);
  }
}

export class RoleAlreadyExistsError extends DomainError {
  readonly code = 'ROLE_ALREADY_EXISTS';
  constructor(name: string) {
    super(`A role named '${name}' already exists in this organization`);
  }
}

export type AssignmentKind = 'user' | 'resource';

export class AlreadyAssignedError extends DomainError {
  readonly code = 'ALREADY_ASSIGNED';
  constructor(kind: AssignmentKind) {
    super(`The ${kind} is already assigned to this role`);
  }
}

/** Unassigning what is not assigned: 404 NOT_FOUND (§12). */
export class NotAssignedError extends DomainError {
  readonly code = 'NOT_FOUND';
  constructor(kind: AssignmentKind) {
    super(`The ${kind} is not assigned to this role`);
  }
}
