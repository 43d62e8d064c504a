import { DomainError, UnauthorizedError, ValidationError } from '@app/common';

/**
 * §11 answers this code with 404 where the user turns off its own MFA (there is nothing to turn
 * off) and with 400 where an admin resets another user's (the user exists; the rule refuses).
 */
export class MfaNotEnabledError extends DomainError {
  readonly code = 'MFA_NOT_ENABLED';
  constructor(
    private readonly answeredWith: 400 | 404,
    message = 'MFA is not enabled for this user',
  ) {
    super(message);
  }

  override get status(): number {
    return this.answeredWith;
  }
}

export class MfaAlreadyEnabledError extends DomainError {
  readonly code = 'MFA_ALREADY_ENABLED';
  constructor() {
    super('MFA is already enabled: disable it first to set it up again');
  }
}

export class MfaRequiredByOrganizationError extends DomainError {
  readonly code = 'MFA_REQUIRED_BY_ORGANIZATION';
  constructor() {
    super('Your organization requires MFA: it cannot be disabled');
  }
}

/** A wrong, spent or malformed code where a signed-in user proves the second factor (§11: 400, field `code`). */
export class InvalidMfaCodeError extends ValidationError {
  constructor(message = 'is not a valid current code') {
    super('The MFA code is not valid', [{ field: 'code', message }]);
  }
}

/** setup/confirm with a secret that is not the pending one (another setup replaced it, or 10 minutes passed). */
export class StaleMfaSecretError extends ValidationError {
  constructor() {
    super('The secret is not the one of your current MFA setup', [
      {
        field: 'secret',
        message: 'is not the pending secret of your current setup (it expires after 10 minutes): start again with POST /mfa/setup',
      },
    ]);
  }
}

/** verify-mfa: a wrong or spent code (one more failure on the challenge). */
export class WrongMfaCodeError extends UnauthorizedError {
  constructor() {
    super('Invalid MFA code');
  }
}

/** verify-mfa: an unknown, spent, expired or killed challenge (five wrong codes), one answer for all. */
export class InvalidMfaChallengeError extends UnauthorizedError {
  constructor() {
    super('The MFA challenge is invalid or has expired: sign in again');
  }
}
