import { Global, Module } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ClsService } from 'nestjs-cls';
import { RequestContext, RequestContextStore } from './request-context';

/**
 * Every request runs in its own context (nestjs-cls), opened by a Fastify `onRequest` hook:
 * the rest of the hooks, the guards, the handler, the exception filter and the transactions
 * see it. It is what nestjs-cls' own middleware did (`cls.run`, then the request id), without
 * going through Nest middleware, which on Fastify runs in @fastify/middie: that copied ip, ips,
 * hostname, query and the logger onto the raw request and awaited three plugin and proxy steps
 * (one of them a dynamic `require`) per request, none of which this app uses. Hence
 * `ClsModule.forRoot({ middleware: { mount: false } })` in the app module.
 */
@Global()
@Module({ providers: [RequestContext], exports: [RequestContext] })
export class RequestContextModule {
  /**
   * In the constructor, while Nest builds the app: before any route or plugin context exists
   * (Fastify copies the hooks into a child context when it is made), and in the place the
   * middleware had, ahead of the app's own `onRequest` hooks.
   */
  constructor(adapterHost: HttpAdapterHost, cls: ClsService<RequestContextStore>) {
    // No HTTP server (an application context, a CLI): nothing to open contexts for.
    const instance = adapterHost.httpAdapter?.getInstance?.() as FastifyInstance | undefined;
    if (typeof instance?.addHook !== 'function') {
      return;
    }
    // Callback style: no promise per request.
    instance.addHook('onRequest', (request: FastifyRequest, _reply, done) => {
      cls.runWith({ requestId: request.id }, done as () => void);
    });
  }
}
