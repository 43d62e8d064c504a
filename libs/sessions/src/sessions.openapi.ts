import { applyDecorators } from '@nestjs/common';
import { ApiIdempotencyKeyHeader } from '@app/access';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { ADMIN_ERRORS, ApiErrorResponses, AUTHENTICATED_ERRORS, BODY_ERRORS } from '@app/common';
import { DetectIpDto, SessionDto } from './dto/session.dto';

/** The OpenAPI prose of the sessions routes, one bundle per route, so the controllers stay readable. */
const ADMIN = 'Requires ORG_ADMIN; API keys are refused.';
const OWN = "Someone else's session, or one of another organization, is 404 SESSION_NOT_FOUND.";
const MEMBER_ERRORS = [...AUTHENTICATED_ERRORS, 'FORBIDDEN'] as const;

export const SessionDocs = {
  start: () =>
    applyDecorators(
      ApiOperation({
        operationId: 'startSession',
        summary: 'Start a session: open your firewalls to your address',
        description:
          'Opens every resource you may reach (an admin: all of the organization; a member: those of their roles; isActive false left out; resourceIds picks a subset) to your address for durationHours (default SESSION_DEFAULT_HOURS, at most the smallest of SESSION_MAX_HOURS and your roles\u2019 caps). Addresses come from the body, else from your client address. Answers 201 PENDING at once; the engine applies the rules in the background, and the session becomes ACTIVE (all applied), PARTIAL or FAILED. Idempotency-Key: the same key with the same body within 24 hours returns the first answer and starts nothing; another body is 409 IDEMPOTENCY_KEY_REUSED. Live sessions per user are capped by SESSION_MAX_CONCURRENT (400 SESSION_LIMIT_REACHED).',
      }),
      ApiIdempotencyKeyHeader(),
      ApiCreatedResponse({
        type: SessionDto,
        headers: { Location: { description: 'URL of the new session', schema: { type: 'string' } } },
      }),
      ApiErrorResponses(
        ...MEMBER_ERRORS,
        ...BODY_ERRORS,
        'RESOURCE_NOT_FOUND',
        'DURATION_EXCEEDS_LIMIT',
        'SESSION_LIMIT_REACHED',
        'NO_RESOURCES_ASSIGNED',
        'IDEMPOTENCY_KEY_REUSED',
      ),
    ),

  listOwn: () =>
    applyDecorators(
      ApiOperation({
        operationId: 'listSessions',
        summary: 'List your sessions, newest first',
        description: 'Your own sessions, newest first (at most 500).',
      }),
      ApiOkResponse({ type: [SessionDto] }),
      ApiErrorResponses(...MEMBER_ERRORS),
    ),

  get: () =>
    applyDecorators(
      ApiOperation({
        operationId: 'getSession',
        summary: 'Get one session',
        description: `Your own session, with the state of each rule; an admin may read any session of the organization. ${OWN}`,
      }),
      ApiOkResponse({ type: SessionDto }),
      ApiErrorResponses(...MEMBER_ERRORS, 'VALIDATION_ERROR', 'SESSION_NOT_FOUND'),
    ),

  stop: () =>
    applyDecorators(
      ApiOperation({
        operationId: 'stopSession',
        summary: 'Stop your session',
        description: `From PENDING, ACTIVE or PARTIAL: EXPIRING at once (endedReason MANUAL), its rules are removed in the background (a rule another holder needs stays), then CANCELLED. A rule not yet applied is never applied after a stop. Any other state: 400 SESSION_NOT_ACTIVE. ${OWN}`,
      }),
      ApiOkResponse({ type: SessionDto }),
      ApiErrorResponses(...MEMBER_ERRORS, 'VALIDATION_ERROR', 'SESSION_NOT_FOUND', 'SESSION_NOT_ACTIVE'),
    ),

  extend: () =>
    applyDecorators(
      ApiOperation({
        operationId: 'extendSession',
        summary: 'Extend your session',
        description: `From ACTIVE or PARTIAL: adds additionalHours to expiresAt. The total from startedAt may not pass your cap: 400 DURATION_EXCEEDS_LIMIT, naming how many whole hours are left. ${OWN}`,
      }),
      ApiOkResponse({ type: SessionDto }),
      ApiErrorResponses(...MEMBER_ERRORS, ...BODY_ERRORS, 'SESSION_NOT_FOUND', 'SESSION_NOT_ACTIVE', 'DURATION_EXCEEDS_LIMIT'),
    ),

  listAll: () =>
    applyDecorators(
      ApiOperation({
        operationId: 'listAllSessions',
        summary: "List the organization's sessions, newest first",
        description: `Every session of the organization, newest first (at most 500), filtered by status and userId. ${ADMIN}`,
      }),
      ApiOkResponse({ type: [SessionDto] }),
      ApiErrorResponses(...ADMIN_ERRORS, 'VALIDATION_ERROR'),
    ),

  adminStop: () =>
    applyDecorators(
      ApiOperation({
        operationId: 'adminStopSession',
        summary: "Stop anyone's session",
        description: `Stops any session of the organization as the owner's stop does, with endedReason ADMIN. A session of another organization is 404 SESSION_NOT_FOUND. ${ADMIN}`,
      }),
      ApiOkResponse({ type: SessionDto }),
      ApiErrorResponses(...ADMIN_ERRORS, 'VALIDATION_ERROR', 'SESSION_NOT_FOUND', 'SESSION_NOT_ACTIVE'),
    ),

  detectIp: () =>
    applyDecorators(
      ApiOperation({
        operationId: 'detectIp',
        summary: 'Your address, as EntryGuard sees it',
        description:
          'The client address a session would open to when its body names none: X-Forwarded-For and X-Real-IP count only from proxies that TRUST_PROXY names. Public.',
      }),
      ApiOkResponse({ type: DetectIpDto }),
      ApiErrorResponses('RATE_LIMIT_EXCEEDED', 'INTERNAL_ERROR', 'SERVICE_UNAVAILABLE'),
    ),
};
