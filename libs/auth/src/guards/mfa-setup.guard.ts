import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ForbiddenError, RequestWithPrincipal } from '@app/common';
import { ALLOWED_DURING_MFA_SETUP_KEY } from '../access/access.decorators';

export const MFA_SETUP_REQUIRED_MESSAGE = 'Your organization requires MFA: set it up first (POST /mfa/setup, then POST /mfa/setup/confirm)';

/**
 * After authentication (§11): a user whose organization requires MFA and who has not turned it on
 * reaches only the routes marked @AllowedDuringMfaSetup(); everything else is 403 FORBIDDEN. The
 * principal carries that state from the per-request user check, so the same token is unrestricted
 * from the request after MFA is confirmed, and no query is added here.
 */
@Injectable()
export class MfaSetupGuard implements CanActivate {
  /** Per handler, read from its decorators once (they never change). */
  private readonly allowed = new WeakMap<object, boolean>();

  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const principal = context.switchToHttp().getRequest<RequestWithPrincipal>().principal;
    if (!principal?.mfaSetupRequired) {
      return true;
    }
    const handler = context.getHandler();
    let allowed = this.allowed.get(handler);
    if (allowed === undefined) {
      allowed = this.reflector.getAllAndOverride<boolean>(ALLOWED_DURING_MFA_SETUP_KEY, [handler, context.getClass()]) === true;
      this.allowed.set(handler, allowed);
    }
    // A key reaches none of the setup routes (they name no scope): it waits until its creator has MFA.
    if (!allowed || principal.kind === 'apiKey') {
      throw new ForbiddenError(MFA_SETUP_REQUIRED_MESSAGE);
    }
    return true;
  }
}
