import type { FastifyInstance } from 'fastify';
import { MALFORMED_JSON_BODY, MAX_JSON_DEPTH, TOO_DEEP_JSON_BODY, UNSUPPORTED_MEDIA_BODY } from '@app/common';

/**
 * JSON only. A body that cannot be used is not refused here, before the route's guards, but
 * handed on as a marker that the validation pipe turns into 400 or 415, so authentication
 * (401) and roles (403) are checked first and a refused mutation is still audited.
 * An empty body with a JSON content type is no body: the public docs send exactly that with DELETE.
 * Bodies over the limit are still refused while reading (413): they are never buffered.
 */
export function installBodyParsers(fastify: FastifyInstance): void {
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    // Fastify's parser refuses __proto__ and constructor.prototype keys (prototype poisoning).
    void parseJson(request, text, (error, parsed) => {
      if (error) {
        done(null, MALFORMED_JSON_BODY);
      } else {
        done(null, depthOf(parsed) > MAX_JSON_DEPTH ? TOO_DEEP_JSON_BODY : parsed);
      }
    });
  });
  fastify.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, _body, done) => {
    done(null, UNSUPPORTED_MEDIA_BODY);
  });
}

/** Nesting depth, counted without recursion: a hostile body must not overflow our stack either. */
function depthOf(value: unknown): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length) {
    const [current, depth] = stack.pop()!;
    if (current === null || typeof current !== 'object') {
      continue;
    }
    deepest = Math.max(deepest, depth + 1);
    if (deepest > MAX_JSON_DEPTH) {
      return deepest;
    }
    for (const child of Object.values(current)) {
      stack.push([child, depth + 1]);
    }
  }
  return deepest;
}
