import { randomUUID } from 'node:crypto';
import { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { sleepUnref } from './fake-faults';
import { startLocalServer, type LocalServer } from './local-http-server';
import { answerEc2, EC2_ACTIONS, type Ec2Error } from './aws-fake.ec2';
import { answerIam, IAM_ACTIONS, IAM_NS } from './aws-fake.iam';
import { AwsFakeState, type AwsFakeSeed } from './aws-fake.state';
import { verifySigV4, type SigV4Result } from './aws-sigv4.verifier';

export * from './aws-fake.state';

/**
 * A local stand-in for STS, EC2 and IAM (access keys) speaking the AWS Query protocol (form-encoded POST, XML
 * answers). It checks every SigV4 signature against the seeded secrets, so a wrong secret is
 * refused here exactly as AWS refuses it. Point the SDK at `url` (client `endpoint`, or the
 * AWS_ENDPOINT_URL variable) and seed `state`.
 */
export type AwsFakeServer = LocalServer<AwsFakeState>;

export function startAwsFakeServer(seed: AwsFakeSeed = {}, options: { port?: number } = {}): Promise<AwsFakeServer> {
  const state = new AwsFakeState(seed);
  return startLocalServer(state, handle, { port: options.port, refuseConnections: () => state.down === 'refuse' });
}

type Answer = { status: number; xml: string; errorCode?: string };
const STS_NS = 'https://sts.amazonaws.com/doc/2011-06-15/';
const STS_ACTIONS = ['GetCallerIdentity', 'GetAccessKeyInfo'];
const EC2_NS = 'http://ec2.amazonaws.com/doc/2016-11-15/';

async function handle(state: AwsFakeState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  const params = new Map(new URLSearchParams(body.toString('utf8')));
  for (const [k, v] of new URL(req.url ?? '/', 'http://fake').searchParams) params.set(k, v);
  const action = params.get('Action') ?? '';
  state.faults.count(action);
  if (state.delayMs > 0) await sleepUnref(state.delayMs);

  const auth = verifySigV4(
    { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body },
    (id) => state.accounts.get(id)?.secretAccessKey,
  );
  const service = auth.service ?? (STS_ACTIONS.includes(action) ? 'sts' : IAM_ACTIONS.includes(action) ? 'iam' : 'ec2');
  const answer =
    state.down === 'unavailable'
      ? errorAnswer(service, { status: 503, code: 'Unavailable', message: "The server is overloaded and can't handle the request." })
      : answerFor(state, { params, action, service, auth, headers: req.headers });
  state.record({
    service,
    action,
    region: auth.region,
    accessKeyId: auth.accessKeyId,
    status: answer.status,
    errorCode: answer.errorCode,
  });
  if (res.destroyed) return;
  res.writeHead(answer.status, { 'Content-Type': 'text/xml;charset=UTF-8', 'x-amzn-RequestId': randomUUID() });
  res.end(answer.xml);
}

interface Call {
  params: Map<string, string>;
  action: string;
  service: string;
  auth: SigV4Result;
  headers: IncomingHttpHeaders;
}

function answerFor(state: AwsFakeState, { params, action, service, auth, headers }: Call): Answer {
  const error = (e: Ec2Error) => errorAnswer(service, e);
  const badKey = service === 'ec2' ? 'AuthFailure' : 'InvalidClientTokenId';
  if (!auth.ok) {
    if (auth.code === 'UnknownKey') return error({ status: service === 'ec2' ? 401 : 403, code: badKey, message: auth.message });
    const code = auth.code === 'SignatureDoesNotMatch' || service !== 'ec2' ? auth.code : 'AuthFailure';
    return error({ status: 403, code, message: auth.message });
  }
  const account = state.accounts.get(auth.accessKeyId)!;
  if (account.status === 'Inactive') {
    // As AWS does: a deactivated key signs correctly and is refused as an invalid one.
    return error({
      status: service === 'ec2' ? 401 : 403,
      code: badKey,
      message: 'The security token included in the request is invalid.',
    });
  }
  const token = headers['x-amz-security-token'] ?? params.get('X-Amz-Security-Token');
  if ((account.sessionToken ?? undefined) !== (token ?? undefined)) {
    return error({ status: 403, code: badKey, message: 'The security token included in the request is invalid.' });
  }
  const known =
    service === 'sts' ? STS_ACTIONS.includes(action) : service === 'iam' ? IAM_ACTIONS.includes(action) : EC2_ACTIONS.includes(action);
  if (!known) {
    return error({ status: 400, code: 'InvalidAction', message: `The action ${action || '(none)'} is not valid for this web service.` });
  }
  if (!state.isAllowed(account, service, action)) {
    return service !== 'ec2'
      ? error({
          status: 403,
          code: 'AccessDenied',
          message: `User: arn:aws:iam::${account.accountId}:user/${account.userName ?? 'fake'} is not authorized to perform: ${service}:${action}`,
        })
      : error({ status: 403, code: 'UnauthorizedOperation', message: 'You are not authorized to perform this operation.' });
  }
  if (state.takeThrottle(action)) {
    // As AWS does: STS answers 400 Throttling, EC2 503 RequestLimitExceeded.
    return service === 'sts'
      ? error({ status: 400, code: 'Throttling', message: 'Rate exceeded' })
      : error({ status: 503, code: 'RequestLimitExceeded', message: 'Request limit exceeded.' });
  }
  if (action === 'GetCallerIdentity') {
    const arn = `arn:aws:iam::${account.accountId}:user/${account.userName ?? 'fake'}`;
    return {
      status: 200,
      xml:
        `<GetCallerIdentityResponse xmlns="${STS_NS}"><GetCallerIdentityResult><Arn>${xml(arn)}</Arn>` +
        `<UserId>AIDA${xml(auth.accessKeyId.slice(-8).toUpperCase())}</UserId><Account>${xml(account.accountId)}</Account>` +
        `</GetCallerIdentityResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></GetCallerIdentityResponse>`,
    };
  }
  if (action === 'GetAccessKeyInfo') {
    const asked = state.accounts.get(params.get('AccessKeyId') ?? '');
    if (!asked) {
      return error({ status: 400, code: 'InvalidParameterValue', message: 'The access key id is not valid.' });
    }
    return {
      status: 200,
      xml:
        `<GetAccessKeyInfoResponse xmlns="${STS_NS}"><GetAccessKeyInfoResult><Account>${xml(asked.accountId)}</Account>` +
        `</GetAccessKeyInfoResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></GetAccessKeyInfoResponse>`,
    };
  }
  if (service === 'iam') {
    const iam = answerIam(state, auth.accessKeyId, action, params);
    if ('code' in iam) return error(iam);
    return {
      status: 200,
      xml: `<${action}Response xmlns="${IAM_NS}">${iam.xml}<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${action}Response>`,
    };
  }
  const result = answerEc2(state, auth.region, action, params);
  if ('code' in result) return error(result);
  return {
    status: 200,
    xml: `<${action}Response xmlns="${EC2_NS}"><requestId>${randomUUID()}</requestId>${result.xml}</${action}Response>`,
  };
}

function errorAnswer(service: string, { status, code, message }: Ec2Error): Answer {
  const requestId = randomUUID();
  const xmlText =
    service !== 'ec2'
      ? `<ErrorResponse xmlns="${service === 'iam' ? IAM_NS : STS_NS}"><Error><Type>Sender</Type><Code>${xml(code)}</Code><Message>${xml(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`
      : `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${xml(code)}</Code><Message>${xml(message)}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`;
  return { status, xml: xmlText, errorCode: code };
}

export function xml(value: string | number): string {
  return String(value).replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
