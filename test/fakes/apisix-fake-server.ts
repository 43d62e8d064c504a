import { type IncomingMessage, type ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { FakeFaults, pushBounded, sleepUnref, type DownMode, type FaultControls } from './fake-faults';
import { startLocalServer, type LocalServer } from './local-http-server';

/**
 * A local imitation of the APISIX Admin API v3 for routes: list, get, put, patch (merge, as
 * APISIX does: objects merge, arrays are replaced, null deletes), delete. It checks X-API-KEY
 * and validates the ip-restriction plugin the way APISIX's schema does.
 */
export type ApisixRoute = Record<string, unknown>;

export interface ApisixFakeSeed {
  adminKey?: string;
  /** route id -> route body (without `id`; it is added) */
  routes?: Record<string, ApisixRoute>;
}

export interface ApisixFakeRequest {
  method: string;
  path: string;
  status: number;
  /** Whether the X-API-KEY header matched. */
  authorized: boolean;
  body?: unknown;
}

/** The APISIX controls: the shared faults, and the status a throttled call gets (429 default, or 503). */
export interface ApisixFakeControls extends FaultControls {
  throttleStatus?: 429 | 503;
}

/** The routes as plain JSON (GET /state of the fakes process): route id -> route. */
export type ApisixFakeSnapshot = Record<string, ApisixRoute>;

export class ApisixFakeState {
  adminKey: string;
  readonly routes = new Map<string, ApisixRoute>();
  /** The most recent requests (bounded), oldest first. */
  readonly requests: ApisixFakeRequest[] = [];
  readonly faults = new FakeFaults();
  /** When set, every request is answered with a 307 redirect to this URL. */
  redirectTo?: string;
  /** What a throttled call is answered with: 429 (rate limited) or 503 (a proxy shedding load). */
  throttleStatus: 429 | 503 = 429;

  constructor(seed: ApisixFakeSeed = {}) {
    this.adminKey = seed.adminKey ?? 'fake-apisix-admin-key-0001';
    for (const [id, route] of Object.entries(seed.routes ?? {})) this.setRoute(id, route);
  }

  setRoute(id: string, route: ApisixRoute): void {
    this.routes.set(id, structuredClone({ ...route, id }));
  }

  route(id: string): ApisixRoute | undefined {
    return this.routes.get(id);
  }

  /** The route's ip-restriction whitelist, or undefined when it has none. */
  whitelist(id: string): string[] | undefined {
    const plugins = this.routes.get(id)?.plugins as Record<string, { whitelist?: string[] }> | undefined;
    return plugins?.['ip-restriction']?.whitelist;
  }

  requestsWith(method: string): ApisixFakeRequest[] {
    return this.requests.filter((r) => r.method === method);
  }

  /** Every answer waits this long first; a write is applied after the wait. */
  get delayMs(): number {
    return this.faults.delayMs;
  }
  set delayMs(ms: number) {
    this.faults.delayMs = ms;
  }

  /** false (up), 'refuse' (connections reset) or 'unavailable' (503 for every call). */
  get down(): DownMode {
    return this.faults.down;
  }
  set down(mode: DownMode) {
    this.faults.down = mode;
  }

  /** The next `count` calls (optionally only these HTTP methods) are throttled. */
  throttleNext(count: number, methods?: string[]): this {
    this.faults.throttleNext(count, methods);
    return this;
  }

  throttleFor(ms: number, methods?: string[]): this {
    this.faults.throttleFor(ms, methods);
    return this;
  }

  /** Calls received per HTTP method (GET, PATCH, …) since the last reset. */
  callCounts(): Record<string, number> {
    return this.faults.callCounts();
  }

  resetCounters(): void {
    this.faults.resetCounters();
  }

  apply(controls: ApisixFakeControls): void {
    this.faults.apply(controls);
    if (controls.throttleStatus !== undefined) this.throttleStatus = controls.throttleStatus;
  }

  snapshot(): ApisixFakeSnapshot {
    return Object.fromEntries([...this.routes].map(([id, route]) => [id, structuredClone(route)]));
  }
}

export type ApisixFakeServer = LocalServer<ApisixFakeState>;

export function startApisixFakeServer(seed: ApisixFakeSeed = {}, options: { port?: number } = {}): Promise<ApisixFakeServer> {
  const state = new ApisixFakeState(seed);
  return startLocalServer(state, handle, { port: options.port, refuseConnections: () => state.down === 'refuse' });
}

const ROUTES = '/apisix/admin/routes';
let revision = 100;

async function handle(state: ApisixFakeState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  const method = req.method ?? 'GET';
  state.faults.count(method);
  if (state.delayMs > 0) await sleepUnref(state.delayMs);

  const path = new URL(req.url ?? '/', 'http://fake').pathname;
  const authorized = req.headers['x-api-key'] === state.adminKey;
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = Symbol('invalid');
  }
  const answer = state.redirectTo
    ? { status: 307, json: null, location: state.redirectTo }
    : state.down === 'unavailable'
      ? { status: 503, json: { error_msg: 'Service Unavailable' } }
      : !authorized
        ? { status: 401, json: { error_msg: 'failed to check token' } }
        : state.faults.takeThrottle(method)
          ? {
              status: state.throttleStatus,
              json: { error_msg: state.throttleStatus === 429 ? 'Too Many Requests' : 'Service Unavailable' },
            }
          : route(state, method, path, body);
  pushBounded(state.requests, { method, path, status: answer.status, authorized, ...(body !== undefined ? { body } : {}) });
  if (res.destroyed) return;
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if ('location' in answer && answer.location) headers.Location = answer.location;
  res.writeHead(answer.status, headers);
  res.end(answer.json === null ? '' : JSON.stringify(answer.json));
}

function route(state: ApisixFakeState, method: string, path: string, body: unknown): { status: number; json: unknown } {
  if (typeof body === 'symbol') return { status: 400, json: { error_msg: 'invalid request body' } };
  if (path === ROUTES || path === `${ROUTES}/`) {
    if (method !== 'GET') return { status: 405, json: { error_msg: 'not allowed' } };
    const list = [...state.routes.entries()].map(([id, value]) => node(id, value));
    return { status: 200, json: { total: list.length, list } };
  }
  if (!path.startsWith(`${ROUTES}/`)) return { status: 404, json: { error_msg: '404 Route Not Found' } };
  const id = decodeURIComponent(path.slice(ROUTES.length + 1));
  const existing = state.routes.get(id);

  if (method === 'GET') return existing ? { status: 200, json: node(id, existing) } : notFound();
  if (method === 'DELETE') {
    if (!existing) return notFound();
    state.routes.delete(id);
    return { status: 200, json: { deleted: '1', key: `/apisix/routes/${id}` } };
  }
  if (method !== 'PUT' && method !== 'PATCH') return { status: 405, json: { error_msg: 'not allowed' } };
  if (method === 'PATCH' && !existing) return notFound();
  const next = method === 'PUT' ? { ...(body as ApisixRoute), id } : (merge(existing, body) as ApisixRoute);
  const invalid = validate(next);
  if (invalid) return { status: 400, json: { error_msg: invalid } };
  state.routes.set(id, next);
  return { status: existing ? 200 : 201, json: node(id, next) };
}

function node(id: string, value: ApisixRoute) {
  revision++;
  return { key: `/apisix/routes/${id}`, value: structuredClone(value), createdIndex: 1, modifiedIndex: revision };
}

function notFound() {
  return { status: 404, json: { message: 'Key not found' } };
}

/** APISIX PATCH semantics: objects merge recursively, arrays and scalars replace, null deletes. */
function merge(target: unknown, patch: unknown): unknown {
  if (!isObject(patch) || !isObject(target)) return structuredClone(patch);
  const out: Record<string, unknown> = { ...target };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = merge(out[key], value);
  }
  return out;
}

/** The parts of the ip-restriction schema that matter here: oneOf whitelist/blacklist, minItems 1, IPs/CIDRs. */
function validate(routeValue: ApisixRoute): string | null {
  const plugins = routeValue.plugins as Record<string, unknown> | undefined;
  const ipr = plugins?.['ip-restriction'] as { whitelist?: unknown; blacklist?: unknown } | undefined;
  if (!ipr) return null;
  const prefix = 'failed to check the configuration of plugin ip-restriction err: ';
  if ((ipr.whitelist === undefined) === (ipr.blacklist === undefined))
    return `${prefix}value should match only one schema, but matches none or both`;
  const list = ipr.whitelist ?? ipr.blacklist;
  const field = ipr.whitelist !== undefined ? 'whitelist' : 'blacklist';
  if (!Array.isArray(list) || list.length < 1)
    return `${prefix}property "${field}" validation failed: expect array to have at least 1 items`;
  const bad = list.find((entry) => !isIpOrCidr(entry));
  return bad === undefined ? null : `${prefix}property "${field}" validation failed: failed to validate item: ${JSON.stringify(bad)}`;
}

function isIpOrCidr(entry: unknown): boolean {
  if (typeof entry !== 'string') return false;
  const [address, prefix, extra] = entry.split('/');
  const family = isIP(address);
  if (!family || extra !== undefined) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
