import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/**
 * Server-side AWS Signature Version 4 check, written from the spec
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html), so the fake
 * refuses a wrong secret the way AWS does instead of trusting whatever key id arrives.
 */
export interface SignedRequest {
  method: string;
  /** Path and query as received, e.g. "/" or "/?Action=..." */
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export type SigV4Result =
  | { ok: true; accessKeyId: string; region: string; service: string }
  | {
      ok: false;
      code: 'MissingAuthenticationToken' | 'IncompleteSignature' | 'UnknownKey' | 'SignatureDoesNotMatch';
      message: string;
      accessKeyId?: string;
      region?: string;
      service?: string;
    };

const AUTH_PATTERN =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;
const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

export function verifySigV4(request: SignedRequest, secretFor: (accessKeyId: string) => string | undefined): SigV4Result {
  const authorization = header(request.headers, 'authorization');
  if (!authorization) return { ok: false, code: 'MissingAuthenticationToken', message: 'Request is missing Authentication Token' };
  const match = AUTH_PATTERN.exec(authorization.trim());
  if (!match) return { ok: false, code: 'IncompleteSignature', message: 'Authorization header is malformed' };
  const [, accessKeyId, scopeDate, region, service, signedHeaderList, signature] = match;
  const scope = { accessKeyId, region, service };

  const secret = secretFor(accessKeyId);
  if (secret === undefined) {
    return { ok: false, code: 'UnknownKey', message: 'The security token included in the request is invalid.', ...scope };
  }
  const amzDate = header(request.headers, 'x-amz-date');
  if (!amzDate || !/^\d{8}T\d{6}Z$/.test(amzDate) || amzDate.slice(0, 8) !== scopeDate) {
    return mismatch('X-Amz-Date is missing or does not match the credential scope', scope);
  }
  const signedAt = Date.parse(
    `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
  );
  if (!Number.isFinite(signedAt) || Math.abs(Date.now() - signedAt) > MAX_CLOCK_SKEW_MS) {
    return mismatch('Signature expired: the request time is too far from the server time', scope);
  }

  const signedHeaders = signedHeaderList.split(';');
  if (!signedHeaders.includes('host') || signedHeaders.join(';') !== [...signedHeaders].sort().join(';')) {
    return { ok: false, code: 'IncompleteSignature', message: 'SignedHeaders must be sorted and include host', ...scope };
  }
  const bodyHash = sha256Hex(request.body);
  const declaredHash = header(request.headers, 'x-amz-content-sha256');
  if (declaredHash && declaredHash !== 'UNSIGNED-PAYLOAD' && declaredHash !== bodyHash) {
    return mismatch('x-amz-content-sha256 does not match the body', scope);
  }

  const [rawPath, rawQuery = ''] = request.url.split('?', 2);
  const canonicalRequest = [
    request.method.toUpperCase(),
    canonicalUri(rawPath || '/'),
    canonicalQuery(rawQuery),
    ...signedHeaders.map((name) => `${name}:${canonicalHeaderValue(request.headers[name])}`),
    '',
    signedHeaderList,
    declaredHash ?? bodyHash,
  ].join('\n');
  const credentialScope = `${scopeDate}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, credentialScope, sha256Hex(canonicalRequest)].join('\n');

  let key: Buffer = hmac(`AWS4${secret}`, scopeDate);
  for (const part of [region, service, 'aws4_request']) key = hmac(key, part);
  const expected = createHmac('sha256', key).update(stringToSign, 'utf8').digest();
  const given = Buffer.from(signature, 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return mismatch(
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.',
      scope,
    );
  }
  return { ok: true, ...scope };
}

function mismatch(message: string, scope: { accessKeyId: string; region: string; service: string }): SigV4Result {
  return { ok: false, code: 'SignatureDoesNotMatch', message, ...scope };
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

function canonicalHeaderValue(value: string | string[] | undefined): string {
  const joined = Array.isArray(value) ? value.join(',') : (value ?? '');
  return joined.trim().replace(/\s+/g, ' ');
}

/** Non-S3 services encode each path segment twice: once on the wire, once for signing. */
function canonicalUri(path: string): string {
  return path
    .split('/')
    .map((segment) => rfc3986(rfc3986(decodeURIComponent(segment))))
    .join('/');
}

function canonicalQuery(query: string): string {
  if (!query) return '';
  return query
    .split('&')
    .filter(Boolean)
    .map((pair) => {
      const [k, v = ''] = pair.split('=', 2);
      return [rfc3986(decodeURIComponent(k.replace(/\+/g, ' '))), rfc3986(decodeURIComponent(v.replace(/\+/g, ' ')))];
    })
    .sort(([ak, av], [bk, bv]) => (ak === bk ? (av < bv ? -1 : 1) : ak < bk ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

function rfc3986(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}
