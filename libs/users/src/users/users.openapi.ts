import { applyDecorators } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { ADMIN_ERRORS, ApiErrorResponses, BODY_ERRORS } from '@app/common';
import { AuthResponseDto } from '@app/auth';
import { ResendInvitationResponseDto, ResetMfaResponseDto, UserDto } from './dto/user.dto';

/** The OpenAPI prose of the people routes, one bundle per operation, so the controllers stay readable. */

const LAST_ADMIN_RULE =
  'The last active ORG_ADMIN of the organization cannot be demoted, deactivated or deleted (400 LAST_ADMIN), also when two admins try it at once.';

export const CreateUserDocs = (): MethodDecorator =>
  applyDecorators(
    ApiOperation({
      operationId: 'createUser',
      summary: 'Invite a user by email',
      description:
        'Creates the user without a password (invitationPending: true) and mails an invitation with the link <APP_URL>/set-password?token=<inviteToken>, valid for 7 days and usable once. The email is stored lower-case; an email already in the organization, in any case, is 409 USER_ALREADY_EXISTS. Answers 201 with a Location header. Requires ORG_ADMIN.',
    }),
    ApiCreatedResponse({ type: UserDto, headers: { Location: { description: 'URL of the new user', schema: { type: 'string' } } } }),
    ApiErrorResponses(...ADMIN_ERRORS, ...BODY_ERRORS, 'USER_ALREADY_EXISTS'),
  );

export const ListUsersDocs = (): MethodDecorator =>
  applyDecorators(
    ApiOperation({
      operationId: 'listUsers',
      summary: 'List the users of the organization, oldest first',
      description:
        'Every user of the organization, invited ones included, with the names of their roles, as a plain array. Requires ORG_ADMIN.',
    }),
    ApiOkResponse({ type: [UserDto] }),
    ApiErrorResponses(...ADMIN_ERRORS),
  );

export const GetUserDocs = (): MethodDecorator =>
  applyDecorators(
    ApiOperation({
      operationId: 'getUser',
      summary: 'Get one user',
      description: 'One user of the organization. A missing id, or one of another organization, is 404 USER_NOT_FOUND. Requires ORG_ADMIN.',
    }),
    ApiOkResponse({ type: UserDto }),
    ApiErrorResponses(...ADMIN_ERRORS, 'VALIDATION_ERROR', 'USER_NOT_FOUND'),
  );

export const UpdateUserDocs = (): MethodDecorator =>
  applyDecorators(
    ApiOperation({
      operationId: 'updateUser',
      summary: 'Rename, promote or demote, activate or deactivate a user',
      description: `Changes the name, the role (isOrgAdmin) or isActive of a user. Deactivating signs the user out everywhere: the access token answers 401 from the next request on, every refresh token and unused invitation dies; the user and its history stay. A demoted admin's token answers 403 on admin routes from the next request on. ${LAST_ADMIN_RULE} Requires ORG_ADMIN.`,
    }),
    ApiOkResponse({ type: UserDto }),
    ApiErrorResponses(...ADMIN_ERRORS, ...BODY_ERRORS, 'USER_NOT_FOUND', 'LAST_ADMIN'),
  );

export const DeleteUserDocs = (): MethodDecorator =>
  applyDecorators(
    ApiOperation({
      operationId: 'deleteUser',
      summary: 'Delete a user',
      description: `Deletes the user: removed from every role, every token of the user dies (the access token answers 401 from the next request on), and the email can be invited again. Audit logs that mention the user are kept. ${LAST_ADMIN_RULE} Requires ORG_ADMIN.`,
    }),
    ApiNoContentResponse({ description: 'Deleted; no body' }),
    ApiErrorResponses(...ADMIN_ERRORS, 'VALIDATION_ERROR', 'USER_NOT_FOUND', 'LAST_ADMIN'),
  );

export const ResendInvitationDocs = (): MethodDecorator =>
  applyDecorators(
    ApiOperation({
      operationId: 'resendInvitation',
      summary: 'Send the invitation again, with a new link',
      description:
        'Mails a new invitation link (7 days); every earlier link of the user stops working. A user who already accepted, or is deactivated, is 400 VALIDATION_ERROR. Requires ORG_ADMIN.',
    }),
    ApiOkResponse({ type: ResendInvitationResponseDto }),
    ApiErrorResponses(...ADMIN_ERRORS, 'VALIDATION_ERROR', 'USER_NOT_FOUND'),
  );

export const SetPasswordDocs = (): MethodDecorator =>
  applyDecorators(
    ApiOperation({
      operationId: 'setPassword',
      summary: 'Accept an invitation: choose a password and sign in',
      description:
        "Accepts an invitation with the token from its link and a password, which must meet the organization's password policy (400 VALIDATION_ERROR naming each broken rule under password; the link stays usable). The user's email counts as verified, the token is spent, and the answer is the same as a login's. An unknown, spent or expired token is 400 INVALID_TOKEN.",
    }),
    ApiOkResponse({ type: AuthResponseDto }),
    ApiErrorResponses(...BODY_ERRORS, 'INVALID_TOKEN', 'RATE_LIMIT_EXCEEDED', 'INTERNAL_ERROR', 'SERVICE_UNAVAILABLE'),
  );

export const ResetMfaDocs = (): MethodDecorator =>
  applyDecorators(
    ApiOperation({
      operationId: 'resetUserMfa',
      summary: "Reset a user's MFA (a lost authenticator)",
      description:
        "Turns the user's MFA off: the TOTP secret and every recovery code are deleted, and open MFA sign-in challenges end. The user's sessions and tokens stay. While the organization requires MFA, the user's next sign-in reaches only MFA setup until it is set up again. A user without MFA is 400 MFA_NOT_ENABLED; a missing id, or one of another organization, 404 USER_NOT_FOUND. Requires ORG_ADMIN.",
    }),
    ApiOkResponse({ type: ResetMfaResponseDto }),
    ApiErrorResponses(...ADMIN_ERRORS, 'VALIDATION_ERROR', 'USER_NOT_FOUND', 'MFA_NOT_ENABLED'),
  );
