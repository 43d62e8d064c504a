import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApisixFakeControls, ApisixFakeServer, ApisixRoute } from './apisix-fake-server';
import type { AwsFakeServer } from './aws-fake-server';
import type { AwsFakeAccount, AwsFakeControls, AwsFakeGroupSeed } from './aws-fake.state';
import { startLocalServer, type LocalServer } from './local-http-server';

/**
 * The control endpoint of the standalone fakes (loopback only), so a test or script in another
 * process can read the real state and flip faults:
 *
 *   GET    /state                                    both fakes: rules, routes, faults, call counters
 *   GET    /counters                                 { aws: {Action: n}, apisix: {METHOD: n} }
 *   POST   /counters/reset
 *   POST   /aws/controls     AwsFakeControls         { delayMs, throttle: {count|forMs, actions} | null, down, ruleLimit, revokeAbsentBehaviour, resetCounters }
 *   POST   /apisix/controls  ApisixFakeControls      { delayMs, throttle, down, throttleStatus, resetCounters }
 *   PUT    /aws/groups/{region}/{groupId}            a group seed ({ ingress?, ruleLimit?, … }): added or replaced
 *   DELETE /aws/groups/{region}/{groupId}/ingress/{cidr}   that address's rules removed behind the client's back
 *   PUT    /aws/accounts/{accessKeyId}               an account ({ secretAccessKey, accountId, … }): added or replaced
 *   PUT    /apisix/routes/{id}                       a route body: added or replaced
 *
 * Answers are JSON; a change answers 200 with the new state of that fake.
 */
export interface FakesControlTargets {
  aws: AwsFakeServer;
  apisix: ApisixFakeServer;
}

export function startFakesControlServer(targets: FakesControlTargets, port?: number): Promise<LocalServer<FakesControlTargets>> {
  return startLocalServer(targets, handle, { port });
}

/** GET /state. */
export function fakesState({ aws, apisix }: FakesControlTargets) {
  return {
    aws: {
      url: aws.url,
      groups: aws.state.snapshot(),
      ruleLimit: aws.state.ruleLimit,
      revokeAbsentBehaviour: aws.state.revokeAbsentBehaviour,
      faults: aws.state.faults.describe(),
      counters: aws.state.callCounts(),
    },
    apisix: {
      url: apisix.url,
      routes: apisix.state.snapshot(),
      throttleStatus: apisix.state.throttleStatus,
      faults: apisix.state.faults.describe(),
      counters: apisix.state.callCounts(),
    },
  };
}

async function handle(targets: FakesControlTargets, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    return reply(res, 400, { error: 'The body is not JSON.' });
  }
  const method = req.method ?? 'GET';
  const parts = new URL(req.url ?? '/', 'http://control').pathname.split('/').filter(Boolean).map(decodeURIComponent);
  const route = `${method} /${parts.map((p, i) => (i >= 2 && parts[0] !== 'counters' ? ':' : p)).join('/')}`;
  const { aws, apisix } = targets;

  switch (route) {
    case 'GET /state':
      return reply(res, 200, fakesState(targets));
    case 'GET /counters':
      return reply(res, 200, { aws: aws.state.callCounts(), apisix: apisix.state.callCounts() });
    case 'POST /counters/reset':
      aws.state.resetCounters();
      apisix.state.resetCounters();
      return reply(res, 200, { aws: {}, apisix: {} });
    case 'POST /aws/controls':
      aws.state.apply(body as AwsFakeControls);
      return reply(res, 200, fakesState(targets).aws);
    case 'POST /apisix/controls':
      apisix.state.apply(body as ApisixFakeControls);
      return reply(res, 200, fakesState(targets).apisix);
    case 'PUT /aws/groups/:/:': {
      const [, , region, groupId] = parts;
      aws.state.addSecurityGroup(region, { ...(body as Partial<AwsFakeGroupSeed>), groupId });
      return reply(res, 200, fakesState(targets).aws);
    }
    case 'DELETE /aws/groups/:/:/:/:': {
      const [, , region, groupId, what, cidr] = parts;
      if (what !== 'ingress') break;
      const removed = aws.state.removeIngress(region, groupId, cidr);
      return reply(res, 200, { removed, ...fakesState(targets).aws });
    }
    case 'PUT /aws/accounts/:': {
      aws.state.addAccount(parts[2], body as AwsFakeAccount);
      return reply(res, 200, { accessKeyId: parts[2] });
    }
    case 'PUT /apisix/routes/:': {
      apisix.state.setRoute(parts[2], body as ApisixRoute);
      return reply(res, 200, fakesState(targets).apisix);
    }
    default:
  }
  return reply(res, 404, { error: `No control ${method} ${parts.join('/')}` });
}

function reply(res: ServerResponse, status: number, json: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(json));
}
