import { fail, quoteProviderMessage, type ProviderFailure } from '../shared/provider-outcome.util';

export interface AwsCallContext {
  /** The API action, e.g. "DescribeSecurityGroups"; shown in permission errors. */
  action: string;
  service: 'sts' | 'ec2' | 'iam';
  groupId?: string;
  region?: string;
  timeoutMs: number;
  attempts: number;
}

export interface MappedAwsError {
  outcome: ProviderFailure;
  /** Only throttling is worth another attempt; retrying a refusal just burns the rate limit. */
  retryable: boolean;
  /** The AWS error code, for callers that treat some refusals as success (idempotence). */
  code?: string;
}

const BAD_KEYS: Record<string, string> = {
  InvalidClientTokenId: 'AWS refused the keys: the access key id is not valid.',
  SignatureDoesNotMatch: 'AWS refused the keys: the secret access key does not match the access key id.',
  AuthFailure: 'AWS refused the keys: they could not be validated.',
  IncompleteSignature: 'AWS refused the keys: the request signature was incomplete.',
  MissingAuthenticationToken: 'AWS refused the request: no keys were sent.',
  InvalidToken: 'AWS refused the keys: the session token is not valid.',
  ExpiredToken: 'AWS refused the keys: the session token has expired.',
  ExpiredTokenException: 'AWS refused the keys: the session token has expired.',
};

const DENIED = new Set(['UnauthorizedOperation', 'AccessDenied', 'AccessDeniedException']);
const MISSING = new Set(['InvalidGroup.NotFound', 'InvalidGroupId.NotFound']);
const THROTTLING = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'EC2ThrottledException',
  'BandwidthLimitExceeded',
  'SlowDown',
]);
/** AWS's documented server-side errors: the request was not handled, and may be sent again. */
const UNAVAILABLE = new Set(['InternalError', 'InternalFailure', 'ServiceUnavailable', 'Unavailable']);
const TIMEOUT_NAMES = new Set(['TimeoutError', 'AbortError', 'RequestTimeout', 'RequestTimeoutException']);
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
]);

/** Turns whatever the SDK threw into a sentence a person can act on, without leaking internals. */
export function mapAwsError(error: unknown, context: AwsCallContext): MappedAwsError {
  const err = (error ?? {}) as Record<string, unknown>;
  const code = awsErrorCode(err);
  return { ...classify(err, code, context), code };
}

function classify(err: Record<string, unknown>, code: string | undefined, context: AwsCallContext): MappedAwsError {
  const network = networkCode(err);

  if (code && BAD_KEYS[code]) {
    return final('INVALID_CREDENTIALS', BAD_KEYS[code]);
  }
  if (code && DENIED.has(code)) {
    return final('ACCESS_DENIED', `AWS denied ${context.action}: these keys lack the permission ${context.service}:${context.action}.`);
  }
  if (code === 'OptInRequired') {
    return final('ACCESS_DENIED', 'AWS denied the request: the account is not subscribed to this service or region.');
  }
  if (code === 'InvalidGroupId.Malformed') {
    return final('NOT_FOUND', `"${context.groupId}" is not a valid security group id (expected sg-…).`);
  }
  if (code === 'NoSuchEntity' && context.service === 'iam') {
    return final('NOT_FOUND', 'AWS IAM does not know that access key for the IAM user of the keys used.');
  }
  if (code && MISSING.has(code)) {
    return final('NOT_FOUND', `Security group ${context.groupId} was not found in region ${context.region}.`);
  }
  if (code === 'RulesPerSecurityGroupLimitExceeded') {
    const message = quoteProviderMessage(err.message);
    return final(
      'LIMIT_EXCEEDED',
      `Security group ${context.groupId} has no room for more inbound rules (${code}${message ? `: ${message}` : ''}).`,
    );
  }
  if (code && THROTTLING.has(code)) {
    return {
      retryable: true,
      outcome: fail('THROTTLED', `AWS kept throttling requests after ${context.attempts} attempt(s); try again shortly.`),
    };
  }
  // Before the timeout names: the SDK reports a reset connection ("socket hang up") as a TimeoutError.
  if (network && NETWORK_CODES.has(network)) {
    const what = network === 'ECONNREFUSED' ? 'the connection was refused' : 'the network failed';
    return final('UNREACHABLE', `Could not reach the AWS ${context.service.toUpperCase()} endpoint: ${what}.`);
  }
  if ((code && TIMEOUT_NAMES.has(code)) || err.code === 'ETIMEDOUT' || network === 'ETIMEDOUT') {
    return final('TIMEOUT', `AWS did not answer within ${context.timeoutMs} ms.`);
  }
  if (code === 'InvalidRegion' || code === 'UnknownEndpoint') {
    return final('PROVIDER_ERROR', `AWS does not know the region "${context.region}".`);
  }

  const status = (err.$metadata as { httpStatusCode?: number } | undefined)?.httpStatusCode;
  if ((code && UNAVAILABLE.has(code)) || (status !== undefined && status >= 500)) {
    // Transient by AWS's own documentation: the call was not handled, the next one may be.
    return final(
      'UNREACHABLE',
      `AWS could not handle ${context.action} just now (${status !== undefined ? `HTTP ${status}` : code}); try again later.`,
    );
  }
  if (code && status !== undefined) {
    const message = quoteProviderMessage(err.message);
    return final('PROVIDER_ERROR', `AWS refused ${context.action} (${code})${message ? `: ${message}` : '.'}`);
  }
  return final('PROVIDER_ERROR', `The AWS ${context.action} call failed before AWS gave a usable answer.`);
}

function final(kind: ProviderFailure['kind'], reason: string): MappedAwsError {
  return { retryable: false, outcome: fail(kind, reason) };
}

/** Service errors carry their AWS code as `name` (and sometimes `Code`); only plain identifiers count. */
function awsErrorCode(err: Record<string, unknown>): string | undefined {
  const candidate = typeof err.Code === 'string' ? err.Code : typeof err.name === 'string' ? err.name : undefined;
  return candidate && /^[A-Za-z][\w.]{0,99}$/.test(candidate) && candidate !== 'Error' ? candidate : undefined;
}

/**
 * Node reports socket failures as `code`, sometimes nested in an AggregateError (happy eyeballs).
 * The SDK's retry layer replaces errors that fail its `instanceof Error` check (errors from
 * another realm, as under Jest's VM) with a wrapper that keeps only the message, so fall back
 * to the code quoted there.
 */
function networkCode(err: Record<string, unknown>): string | undefined {
  if (typeof err.code === 'string') {
    return err.code;
  }
  const nested = (err.errors as Array<{ code?: unknown }> | undefined)?.[0] ?? (err.cause as { code?: unknown });
  if (typeof nested?.code === 'string') {
    return nested.code;
  }
  const quoted = typeof err.message === 'string' ? /\b(E[A-Z_]{3,})\b/.exec(err.message) : null;
  if (quoted) {
    return quoted[1];
  }
  // Node's words for a connection the other side reset, when the wrapper kept only the message.
  return typeof err.message === 'string' && /socket hang up/i.test(err.message) ? 'ECONNRESET' : undefined;
}
