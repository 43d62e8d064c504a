import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger } from 'pino';
import { RequestWithPrincipal, toEnvelope, ValidationError } from '@app/common';
import { installBodyParsers } from './body-parsers';
import { migrateAsOwner } from './database/migrate-as-owner';
import { clientErrorHandler } from './client-error.handler';
import { AppModule } from './app.module';
import { AppConfig } from './config/app-config';
import { createRootLogger, PinoNestLogger } from './logging/logger';
import { buildOpenApiDocument, mountSwagger } from './openapi';

const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The security headers of every answer, computed once: they never change per request. The set is
 * helmet 8's defaults (which we used to run per request) plus the OWASP REST Security ones:
 * a strict CSP, nosniff, HSTS, and `Cache-Control: no-store` for API answers, which carry
 * per-user data (a handler that sets its own Cache-Control still wins: it is set later).
 */
const COMMON_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'origin-agent-cluster': '?1',
  'referrer-policy': 'no-referrer',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-dns-prefetch-control': 'off',
  'x-download-options': 'noopen',
  'x-frame-options': 'SAMEORIGIN',
  'x-permitted-cross-domain-policies': 'none',
  'x-xss-protection': '0',
};
/** JSON answers load nothing and are framed by no one: the strictest policy, and a short header. */
const API_HEADERS = Object.freeze({
  ...COMMON_SECURITY_HEADERS,
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'cache-control': 'no-store',
});
/**
 * Swagger UI needs its own scripts, styles and inline bootstrap. No upgrade-insecure-requests:
 * TLS is terminated in front of us, and forcing https broke the docs over plain http.
 * Its static files keep their own caching headers.
 */
const DOCS_PREFIX = '/api/docs';
const DOCS_HEADERS = Object.freeze({
  ...COMMON_SECURITY_HEADERS,
  'content-security-policy':
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'self'; object-src 'none'; base-uri 'self'",
});

/** Trust the nearest N proxies: the Nth address from the right in X-Forwarded-For is the client. */
function hopCount(hops: number) {
  return (_address: string, hop: number) => hop < hops;
}

export interface CreateAppOptions {
  logger?: Logger;
}

/** Builds the whole service, ready to listen: used by main.ts, the tests and the OpenAPI writer. */
export async function createApp(config: AppConfig, options: CreateAppOptions = {}): Promise<NestFastifyApplication> {
  const logger = options.logger ?? createRootLogger(config.logLevel);
  await migrateAsOwner(config, logger);
  const adapter = new FastifyAdapter({
    loggerInstance: logger,
    bodyLimit: config.bodyLimitBytes,
    trustProxy: typeof config.trustProxy === 'number' ? hopCount(config.trustProxy) : config.trustProxy,
    requestIdHeader: false,
    // During shutdown Fastify would answer requests still arriving on open connections with its own
    // 503 body (not our envelope, no request id). The service is still whole while the HTTP server
    // drains, so they are served; each answer then closes its connection (Connection: close).
    return503OnClosing: false,
    // §1: headers and body within REQUEST_TIMEOUT_MS (Node answers 408 through the handler below),
    // and no connection idle longer; a slow-drip body can no longer hold a socket for minutes.
    requestTimeout: config.requestTimeoutMs,
    connectionTimeout: config.requestTimeoutMs,
    // Node looks for overdue requests only this often (30 s by default, which would double the limit).
    http: { connectionsCheckingInterval: Math.min(1_000, Math.max(100, Math.floor(config.requestTimeoutMs / 4))) },
    clientErrorHandler: clientErrorHandler(config.requestTimeoutMs, API_HEADERS, logger),
    // One line per request, written by our onResponse hook with the fields we want.
    logController: new LogController({ disableRequestLogging: true }),
    // Refusals Fastify makes while routing (a malformed %-escape, an over-long path parameter)
    // answer in our envelope too, with the request id.
    frameworkErrors: (_error: Error, request: FastifyRequest, reply: FastifyReply) => {
      void reply
        .status(400)
        .headers(API_HEADERS)
        .header('X-Request-Id', request.id)
        .type('application/json; charset=utf-8')
        .send(toEnvelope(new ValidationError('The request URL is malformed or a path parameter is too long')));
    },
    // The client's request id is kept when it is sane; otherwise we make one.
    genReqId: (req: IncomingMessage & { requestId?: string }) => {
      const header = req.headers['x-request-id'];
      const id = typeof header === 'string' && SANE_REQUEST_ID.test(header) ? header : randomUUID();
      req.requestId = id;
      return id;
    },
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), adapter, {
    logger: new PinoNestLogger(logger),
    abortOnError: false,
    // We install the JSON parser ourselves (below), with an empty body meaning no body.
    bodyParser: false,
  });

  const fastify = app.getHttpAdapter().getInstance();
  // First hook of every request, errors and 404s included: the request id and the static
  // security headers. Callback style: an async hook costs a promise per request.
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.headers(request.url.startsWith(DOCS_PREFIX) ? DOCS_HEADERS : API_HEADERS);
    reply.header('X-Request-Id', request.id);
    done();
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    // The line is built only when it will be written (LOG_LEVEL info or lower).
    if ((request.log as Logger).isLevelEnabled('info')) {
      const principal = (request as RequestWithPrincipal).principal;
      request.log.info(
        {
          method: request.method,
          url: request.url,
          statusCode: reply.statusCode,
          ms: Math.round(reply.elapsedTime),
          // Under an API key: its creator, and the key's id (never the key).
          userId: principal?.userId,
          apiKeyId: principal?.kind === 'apiKey' ? principal.apiKeyId : undefined,
          organizationId: principal?.organizationId,
        },
        'request completed',
      );
    }
    done();
  });
  installBodyParsers(fastify);
  app.enableCors({
    origin: config.corsOrigins.includes('*') ? true : config.corsOrigins.length ? config.corsOrigins : false,
    exposedHeaders: ['X-Request-Id', 'Retry-After', 'Location'],
  });
  app.setGlobalPrefix('api/v1');
  mountSwagger(app, buildOpenApiDocument(app));
  await app.init();
  const server = app.getHttpServer() as import('node:http').Server;
  server.maxConnections = config.maxConnections;
  // Node refuses a headersTimeout above requestTimeout; keep the headers' own limit no looser.
  server.headersTimeout = Math.min(server.headersTimeout, config.requestTimeoutMs);
  return app;
}
