import { applyDecorators } from '@nestjs/common';
import { ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { ADMIN_ERRORS, ApiErrorResponses, BODY_ERRORS } from '@app/common';
import { OrganizationSettingsDto } from './dto/organization-settings.dto';

/** The OpenAPI prose of OrganizationSettingsController, one bundle per route. */
export const OrganizationSettingsDocs = {
  get: () =>
    applyDecorators(
      ApiOperation({
        operationId: 'getOrganizationSettings',
        summary: "The organization's sign-in policy",
        description:
          'MFA requirement and password policy. Until changed: mfaRequired false, passwordMinLength 8, upper case, lower case and a digit required, no special character, passwords never expire (passwordExpirationDays null). Requires ORG_ADMIN.',
      }),
      ApiOkResponse({ type: OrganizationSettingsDto }),
      ApiErrorResponses(...ADMIN_ERRORS),
    ),

  update: () =>
    applyDecorators(
      ApiOperation({
        operationId: 'updateOrganizationSettings',
        summary: "Change the organization's sign-in policy",
        description:
          'Changes any subset of the settings (at least one field) and answers all of them. passwordMinLength is 8 to 128; passwordExpirationDays is 1 to 365, or null for never; the rest are booleans. The password policy applies to passwords set from now on (set-password, reset, change); stored passwords are never re-checked. Requires ORG_ADMIN.',
      }),
      ApiOkResponse({ type: OrganizationSettingsDto }),
      ApiErrorResponses(...ADMIN_ERRORS, ...BODY_ERRORS),
    ),
};
