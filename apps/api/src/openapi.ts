import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { describeApiKeyAccess } from '@app/auth';

export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('EntryGuard API')
    .setDescription(
      'Opens cloud firewalls to a user\'s IP for a limited time. Every error has the shape { "error", "message", "timestamp" }.',
    )
    .setVersion('1.0.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
    // Every tag an operation uses is declared once, in this order (Swagger UI's sections).
    .addTag('Authentication', 'Register an organization, sign in, rotate and revoke tokens')
    .addTag('MFA', 'A second factor for sign-in: TOTP with an authenticator app, and recovery codes')
    .addTag('Credentials', 'Cloud credentials, encrypted at rest (ORG_ADMIN)')
    .addTag('Resources', 'Firewalls opened through a credential (ORG_ADMIN)')
    .addTag('Audit logs', 'The append-only audit trail (ORG_ADMIN)')
    .addTag('Users', 'Members of the organization and their invitations (ORG_ADMIN)')
    .addTag('Roles', 'Which users may reach which resources (ORG_ADMIN)')
    .addTag('Organization settings', "The organization's sign-in policy: passwords and MFA (ORG_ADMIN)")
    .addTag('API keys', 'Keys for scripts, the CLI and CI, with scopes (ORG_ADMIN)')
    .addTag('Sessions', 'Open your firewalls to your address for a limited time; the engine applies, expires and reconciles')
    .addTag('Static IP rules', 'Permanent whitelist entries the engine keeps applied (ORG_ADMIN)')
    .addTag('Resource health', 'Verification and reconcile state changes of resources (ORG_ADMIN)')
    .addTag('Health', 'Liveness and readiness probes (public, not rate limited)')
    .build();
  const document = SwaggerModule.createDocument(app, config, {
    operationIdFactory: (controllerKey, methodKey) => `${controllerKey}_${methodKey}`,
  });
  document.info.license = { name: 'Proprietary', url: 'https://entryguard.io' };
  document.servers = [{ url: '/', description: 'This server' }];
  markPathIdsAsUuids(document);
  describeApiKeyAccess(document);
  return document;
}

export function mountSwagger(app: INestApplication, document: OpenAPIObject): void {
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/docs-json', yamlDocumentUrl: 'api/docs-yaml' });
}

/** Every `{id}` in a path is a UUID (a non-UUID is answered with 400 before any lookup). */
function markPathIdsAsUuids(document: OpenAPIObject): void {
  for (const item of Object.values(document.paths)) {
    for (const operation of Object.values(item) as Array<{
      parameters?: Array<{ in?: string; name?: string; schema?: Record<string, unknown> }>;
    }>) {
      for (const parameter of operation?.parameters ?? []) {
        if (parameter.in === 'path' && parameter.name === 'id') {
          parameter.schema = { ...(parameter.schema ?? {}), type: 'string', format: 'uuid' };
        }
      }
    }
  }
}
