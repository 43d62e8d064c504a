import { DomainError } from '@app/common';

export class CredentialNotFoundError extends DomainError {
  readonly code = 'CREDENTIAL_NOT_FOUND';
  constructor(id: string) {
    super(`Credential with ID ${id} not found`);
  }
}

/** Wording fixed by the public contract, count included. */
export class CredentialInUseError extends DomainError {
  readonly code = 'CREDENTIAL_IN_USE';
  constructor(count: number) {
    super(
      `Cannot delete credential linked to ${count} active ${count === 1 ? 'resource' : 'resources'}. Delete or reassign resources first.`,
    );
  }
}

export class CredentialNameTakenError extends DomainError {
  readonly code = 'CREDENTIAL_NAME_TAKEN';
  constructor(name: string) {
    super(`A credential named '${name}' already exists in this organization`);
  }
}
