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

/** §19: the provider refused to deactivate the key, or could not be asked; nothing was changed. */
export class ProviderRevocationFailedError extends DomainError {
  readonly code = 'PROVIDER_REVOCATION_FAILED';
  constructor(reason: string) {
    super(`The provider did not revoke the key, so nothing was changed. ${reason}`);
  }
}

/** §19: the new keys of a rotation do not work, or belong to another account; nothing was changed. */
export class NewKeysRejectedError extends DomainError {
  readonly code = 'VERIFICATION_FAILED';
  constructor(reason: string) {
    super(`The new keys were not accepted, so nothing was changed. ${reason}`);
  }
}
