import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyBaseLogger } from 'fastify';
import { DomainError, HeadersTooLargeError, RequestTimeoutError, toEnvelope, ValidationError } from '@app/common';

type ParserError = Error & { code?: string };

/**
 * Errors Node's HTTP parser raises before any route runs (bad header bytes, a bad
 * Content-Length, both Content-Length and Transfer-Encoding, headers too large, a request that
 * did not arrive in time) answer our envelope with a request id, like every other error (§1),
 * instead of Node's own body. A client that hung up gets nothing: there is no one to answer.
 */
export function clientErrorHandler(requestTimeoutMs: number, securityHeaders: Readonly<Record<string, string>>, log: FastifyBaseLogger) {
  return (error: ParserError, socket: Socket): void => {
    log.debug({ code: error.code }, 'client error before routing');
    if (error.code === 'ECONNRESET' || error.code === 'EPIPE' || !socket.writable) {
      socket.destroy();
      return;
    }
    const domain = toDomain(error, requestTimeoutMs);
    const body = JSON.stringify(toEnvelope(domain));
    const headers = {
      ...securityHeaders,
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(Buffer.byteLength(body)),
      'x-request-id': randomUUID(),
      connection: 'close',
    };
    const head = Object.entries(headers)
      .map(([name, value]) => `${name}: ${value}`)
      .join('\r\n');
    socket.end(`HTTP/1.1 ${domain.status} ${STATUS_CODES[domain.status]}\r\n${head}\r\n\r\n${body}`);
  };
}

function toDomain(error: ParserError, requestTimeoutMs: number): DomainError {
  switch (error.code ?? '') {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new RequestTimeoutError(requestTimeoutMs);
    case 'HPE_HEADER_OVERFLOW':
      return new HeadersTooLargeError();
    case 'HPE_INVALID_CONTENT_LENGTH':
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
      return new ValidationError('The Content-Length header is not valid for this request');
    case 'HPE_INVALID_TRANSFER_ENCODING':
      return new ValidationError('The Transfer-Encoding header is not valid for this request');
    default:
      return new ValidationError('The request is not valid HTTP');
  }
}
