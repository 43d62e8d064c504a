import { applyDecorators } from '@nestjs/common';
import { ApiIdempotencyKeyHeader } from '@app/access';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { ADMIN_ERRORS, ApiErrorResponses, BODY_ERRORS } from '@app/common';
import { StaticIpRuleDto } from './dto/static-ip-rule.dto';

const ADMIN = 'Requires ORG_ADMIN; API keys are refused.';
const HIDDEN = 'A missing id, or one of another organization, is 404 with the same body.';

/** The OpenAPI prose of StaticIpRulesController, one bundle per route. */
export const StaticIpRuleDocs = {
  create: () =>
    applyDecorators(
      ApiOperation({
        operationId: 'createStaticIpRule',
        summary: 'Create a static IP rule',
        description: `A permanent whitelist entry for an office or a build server: the engine applies ipAddress to every listed resource and keeps it there (a session on the same address shares the provider rule). ipAddress is an address or a network; host bits set (10.0.0.5/24) is 400 naming the network meant (10.0.0.0/24); 0.0.0.0/0, ::/0 and prefixes shorter than /8 (IPv4) or /32 (IPv6) are 400. Answers 201 PENDING. Idempotency-Key works as on POST /sessions. ${ADMIN}`,
      }),
      ApiIdempotencyKeyHeader(),
      ApiCreatedResponse({
        type: StaticIpRuleDto,
        headers: { Location: { description: 'URL of the new rule', schema: { type: 'string' } } },
      }),
      ApiErrorResponses(...ADMIN_ERRORS, ...BODY_ERRORS, 'RESOURCE_NOT_FOUND', 'IDEMPOTENCY_KEY_REUSED'),
    ),
  list: () =>
    applyDecorators(
      ApiOperation({
        operationId: 'listStaticIpRules',
        summary: 'List static IP rules, newest first',
        description: `Every static rule of the organization. ${ADMIN}`,
      }),
      ApiOkResponse({ type: [StaticIpRuleDto] }),
      ApiErrorResponses(...ADMIN_ERRORS),
    ),
  get: () =>
    applyDecorators(
      ApiOperation({
        operationId: 'getStaticIpRule',
        summary: 'Get one static IP rule',
        description: `One rule with the state of each resource. ${HIDDEN} ${ADMIN}`,
      }),
      ApiOkResponse({ type: StaticIpRuleDto }),
      ApiErrorResponses(...ADMIN_ERRORS, 'VALIDATION_ERROR', 'STATIC_IP_RULE_NOT_FOUND'),
    ),
  delete: () =>
    applyDecorators(
      ApiOperation({
        operationId: 'deleteStaticIpRule',
        summary: 'Delete a static IP rule',
        description: `Gone from the API at once; its provider rules are removed in the background, unless another holder (a session on the same address) still needs them. There is no update: delete and create. ${HIDDEN} ${ADMIN}`,
      }),
      ApiNoContentResponse({ description: 'Deleted' }),
      ApiErrorResponses(...ADMIN_ERRORS, 'VALIDATION_ERROR', 'STATIC_IP_RULE_NOT_FOUND'),
    ),
};
