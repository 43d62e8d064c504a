import { DomainError } from '@app/common';

export class ResourceNotFoundError extends DomainError {
  readonly code = 'RESOURCE_NOT_FOUND';
  constructor(id: string) {
    super(`Resource with ID ${id} not found`);
  }
}

export class ResourceAlreadyExistsError extends DomainError {
  readonly code = 'RESOURCE_ALREADY_EXISTS';
  constructor(identifier: string) {
    super(`A resource with identifier '${identifier}' already exists in this organization and region`);
  }
}

/** Seen from resources, a credential that is missing or not ours is simply not found. */
export class LinkedCredentialNotFoundError extends DomainError {
  readonly code = 'CREDENTIAL_NOT_FOUND';
  constructor(id: string) {
    super(`Credential with ID ${id} not found`);
  }
}

export class VerificationFailedError extends DomainError {
  readonly code = 'VERIFICATION_FAILED';
  constructor(reason: string) {
    super(`Resource verification failed: ${reason}`);
  }
}

export class ResourceInUseError extends DomainError {
  readonly code = 'RESOURCE_IN_USE';
  static bySessions(): ResourceInUseError {
    return new ResourceInUseError('Cannot delete resource with active sessions. Stop all active sessions first.');
  }
  static byStaticRules(count: number): ResourceInUseError {
    return new ResourceInUseError(
      `Cannot delete resource used by ${count} static IP ${count === 1 ? 'rule' : 'rules'}. Delete those rules first.`,
    );
  }
  static retarget(): ResourceInUseError {
    return new ResourceInUseError(
      'Cannot change resourceIdentifier, region or config of a resource with active sessions or static IP rules: its rules would be stranded on the old target. Stop the sessions and delete the rules first.',
    );
  }
  private constructor(message: string) {
    super(message);
  }
}
