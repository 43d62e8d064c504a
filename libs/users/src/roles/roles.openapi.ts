import { applyDecorators } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam } from '@nestjs/swagger';
import { ADMIN_ERRORS, ApiErrorResponses, BODY_ERRORS } from '@app/common';
import { RoleAssignmentResponseDto, RoleDto } from './dto/role.dto';

/** The OpenAPI prose of RolesController, one bundle per route, so the controller stays readable. */
const ADMIN = 'Requires ORG_ADMIN.';
const HIDDEN = 'A missing id, or one of another organization, is 404 with the same body.';
const USER_PARAM = ApiParam({ name: 'userId', format: 'uuid', description: 'A user of the organization' });
const RESOURCE_PARAM = ApiParam({ name: 'resourceId', format: 'uuid', description: 'A resource of the organization' });

export const RoleDocs = {
  create: () =>
    applyDecorators(
      ApiOperation({
        operationId: 'createRole',
        summary: 'Create a role',
        description: `Creates a role: a set of users and the resources they may reach. The name is unique in the organization, case-insensitively ("Dev" and "DEV" are the same name): 409 ROLE_ALREADY_EXISTS. maxSessionDurationHours (1 to 168) caps the sessions of its users. Answers 201 with a Location header. ${ADMIN}`,
      }),
      ApiCreatedResponse({ type: RoleDto, headers: { Location: { description: 'URL of the new role', schema: { type: 'string' } } } }),
      ApiErrorResponses(...ADMIN_ERRORS, ...BODY_ERRORS, 'ROLE_ALREADY_EXISTS'),
    ),

  list: () =>
    applyDecorators(
      ApiOperation({
        operationId: 'listRoles',
        summary: 'List roles, newest first',
        description: `Every role of the organization, newest first, each with the ids of its users and resources (a bare array). ${ADMIN}`,
      }),
      ApiOkResponse({ type: [RoleDto] }),
      ApiErrorResponses(...ADMIN_ERRORS),
    ),

  get: () =>
    applyDecorators(
      ApiOperation({
        operationId: 'getRole',
        summary: 'Get one role',
        description: `One role, with the ids of its users and resources. ${HIDDEN} ${ADMIN}`,
      }),
      ApiOkResponse({ type: RoleDto }),
      ApiErrorResponses(...ADMIN_ERRORS, 'VALIDATION_ERROR', 'ROLE_NOT_FOUND'),
    ),

  update: () =>
    applyDecorators(
      ApiOperation({
        operationId: 'updateRole',
        summary: 'Rename a role, or change its description or session cap',
        description: `Changes any of name, description and maxSessionDurationHours (at least one). null clears description or maxSessionDurationHours; name cannot be null. A name another role has, in any letter case, is 409 ROLE_ALREADY_EXISTS. A shorter cap applies to sessions started afterwards. ${HIDDEN} ${ADMIN}`,
      }),
      ApiOkResponse({ type: RoleDto }),
      ApiErrorResponses(...ADMIN_ERRORS, ...BODY_ERRORS, 'ROLE_NOT_FOUND', 'ROLE_ALREADY_EXISTS'),
    ),

  delete: () =>
    applyDecorators(
      ApiOperation({
        operationId: 'deleteRole',
        summary: 'Delete a role; its users and resources stay',
        description: `Deletes the role. Its users and resources are detached, never deleted; sessions already running continue until they end. ${HIDDEN} ${ADMIN}`,
      }),
      ApiNoContentResponse({ description: 'Deleted; no body' }),
      ApiErrorResponses(...ADMIN_ERRORS, 'VALIDATION_ERROR', 'ROLE_NOT_FOUND'),
    ),

  assignUser: () =>
    applyDecorators(
      ApiOperation({
        operationId: 'assignUserToRole',
        summary: 'Put a user in a role',
        description: `Puts a user of the organization in the role. Already in it: 409 ALREADY_ASSIGNED. A role or user that is missing, or of another organization: 404 ROLE_NOT_FOUND or USER_NOT_FOUND, with the same body either way. ${ADMIN}`,
      }),
      USER_PARAM,
      ApiOkResponse({ type: RoleAssignmentResponseDto }),
      ApiErrorResponses(...ADMIN_ERRORS, 'VALIDATION_ERROR', 'ROLE_NOT_FOUND', 'USER_NOT_FOUND', 'ALREADY_ASSIGNED'),
    ),

  unassignUser: () =>
    applyDecorators(
      ApiOperation({
        operationId: 'unassignUserFromRole',
        summary: 'Take a user out of a role',
        description: `Takes the user out of the role; the user's running sessions continue until they end. Not in the role: 404 NOT_FOUND. A role or user that is missing, or of another organization: 404 ROLE_NOT_FOUND or USER_NOT_FOUND. ${ADMIN}`,
      }),
      USER_PARAM,
      ApiNoContentResponse({ description: 'Unassigned; no body' }),
      ApiErrorResponses(...ADMIN_ERRORS, 'VALIDATION_ERROR', 'ROLE_NOT_FOUND', 'USER_NOT_FOUND', 'NOT_FOUND'),
    ),

  assignResource: () =>
    applyDecorators(
      ApiOperation({
        operationId: 'assignResourceToRole',
        summary: 'Give a role a resource',
        description: `Lets the role's users reach a resource of the organization. Already assigned: 409 ALREADY_ASSIGNED. A role or resource that is missing, or of another organization: 404 ROLE_NOT_FOUND or RESOURCE_NOT_FOUND, with the same body either way. ${ADMIN}`,
      }),
      RESOURCE_PARAM,
      ApiOkResponse({ type: RoleAssignmentResponseDto }),
      ApiErrorResponses(...ADMIN_ERRORS, 'VALIDATION_ERROR', 'ROLE_NOT_FOUND', 'RESOURCE_NOT_FOUND', 'ALREADY_ASSIGNED'),
    ),

  unassignResource: () =>
    applyDecorators(
      ApiOperation({
        operationId: 'unassignResourceFromRole',
        summary: 'Take a resource from a role',
        description: `Takes the resource from the role; running sessions keep their rules until they end. Not assigned: 404 NOT_FOUND. A role or resource that is missing, or of another organization: 404 ROLE_NOT_FOUND or RESOURCE_NOT_FOUND. ${ADMIN}`,
      }),
      RESOURCE_PARAM,
      ApiNoContentResponse({ description: 'Unassigned; no body' }),
      ApiErrorResponses(...ADMIN_ERRORS, 'VALIDATION_ERROR', 'ROLE_NOT_FOUND', 'RESOURCE_NOT_FOUND', 'NOT_FOUND'),
    ),
};
