import { APISIX_DENY_ALL_PLACEHOLDER, isTransientFailure, type ProviderOutcome } from '@app/providers';
import { ADMIN_KEY, route, rule, UPSTREAM, useApisixAdapter } from './apisix-adapter.fixture';

// applyRules / removeRules / listRules on the ip-restriction whitelist, against the fake's state and faults.
const ctx = useApisixAdapter();
const secret = ctx.secret;
const rules = (...cidrs: string[]) => cidrs.map(rule);
const OFFICE = ['198.51.100.10/32', '10.0.0.0/8'];

function expectFailure(outcome: ProviderOutcome, kind: string, transient: boolean): void {
  expect(outcome).toMatchObject({ ok: false, kind });
  expect(isTransientFailure(outcome)).toBe(transient);
}

describe('applyRules / removeRules', () => {
  it('adds the addresses in ONE PATCH and keeps every other whitelist entry, plugin and setting', async () => {
    const outcome = await ctx.adapter.applyRules(secret(), route('admin'), rules('203.0.113.7/32', '2001:DB8::7/128', '192.0.2.1'));
    expect(outcome).toEqual({ ok: true, detail: 'Route admin whitelist updated.' });
    const whitelist = [...OFFICE, '203.0.113.7/32', '2001:db8::7/128', '192.0.2.1/32'];
    expect(ctx.fake.state.route('admin')).toEqual({
      id: 'admin',
      uri: '/admin/*',
      upstream: UPSTREAM,
      plugins: { 'ip-restriction': { whitelist, message: 'Go away' }, 'limit-count': { count: 100, time_window: 60 } },
    });
    expect(ctx.fake.state.callCounts()).toEqual({ GET: 1, PATCH: 1 });
    expect(ctx.fake.state.requestsWith('PATCH')).toEqual([
      {
        method: 'PATCH',
        path: '/apisix/admin/routes/admin',
        status: 200,
        authorized: true,
        body: { plugins: { 'ip-restriction': { whitelist } } },
      },
    ]);
  });

  it('is idempotent: addresses already present (in any spelling) are success without a write', async () => {
    await ctx.adapter.applyRules(secret(), route('admin'), rules('203.0.113.7/32'));
    const again = await ctx.adapter.applyRules(secret(), route('admin'), rules('203.0.113.7', '198.51.100.10'));
    expect(again).toEqual({ ok: true, detail: 'Route admin already has the wanted whitelist.' });
    expect(ctx.fake.state.requestsWith('PATCH')).toHaveLength(1);
    expect(ctx.fake.state.whitelist('admin')).toEqual([...OFFICE, '203.0.113.7/32']);
  });

  it('a batch with some addresses present adds only the missing ones', async () => {
    await ctx.adapter.applyRules(secret(), route('admin'), rules('203.0.113.7/32'));
    expect((await ctx.adapter.applyRules(secret(), route('admin'), rules('203.0.113.7/32', '203.0.113.8/32'))).ok).toBe(true);
    expect(ctx.fake.state.whitelist('admin')).toEqual([...OFFICE, '203.0.113.7/32', '203.0.113.8/32']);
  });

  it('creates the ip-restriction plugin on a route without one', async () => {
    expect((await ctx.adapter.applyRules(secret(), route('open'), rules('2001:DB8::7/128'))).ok).toBe(true);
    expect(ctx.fake.state.route('open')).toEqual({
      id: 'open',
      uri: '/open/*',
      upstream: UPSTREAM,
      plugins: { 'ip-restriction': { whitelist: ['2001:db8::7/128'] } },
    });
  });

  it('removes only the given addresses in ONE PATCH, including their bare-address spelling', async () => {
    ctx.fake.state.setRoute('bare', {
      uri: '/b',
      upstream: UPSTREAM,
      plugins: { 'ip-restriction': { whitelist: ['203.0.113.7', '198.51.100.10/32', '2001:db8::7'] } },
    });
    expect(await ctx.adapter.removeRules(secret(), route('bare'), ['203.0.113.7/32', '2001:DB8::7/128', '192.0.2.99/32'])).toEqual({
      ok: true,
      detail: 'Route bare whitelist updated.',
    });
    expect(ctx.fake.state.whitelist('bare')).toEqual(['198.51.100.10/32']);
    expect(ctx.fake.state.requestsWith('PATCH')).toHaveLength(1);
  });

  it('is idempotent: removing absent addresses is success without a write', async () => {
    const outcome = await ctx.adapter.removeRules(secret(), route('admin'), ['203.0.113.99/32', '203.0.113.98/32']);
    expect(outcome).toEqual({ ok: true, detail: 'Route admin already has the wanted whitelist.' });
    expect((await ctx.adapter.removeRules(secret(), route('open'), ['203.0.113.99/32'])).ok).toBe(true);
    expect(ctx.fake.state.requestsWith('PATCH')).toHaveLength(0);
    expect(ctx.fake.state.route('open')?.plugins).toBeUndefined();
  });

  it('makes no call at all for an empty batch', async () => {
    expect(await ctx.adapter.applyRules(secret(), route('admin'), [])).toEqual({ ok: true, detail: 'No rules to add.' });
    expect(await ctx.adapter.removeRules(secret(), route('admin'), [])).toEqual({ ok: true, detail: 'No rules to remove.' });
    expect(ctx.fake.state.requests).toHaveLength(0);
  });

  it('keeps the route closed when the last addresses go, and drops the placeholder on the next add', async () => {
    ctx.fake.state.setRoute('solo', {
      uri: '/s',
      upstream: UPSTREAM,
      plugins: { 'ip-restriction': { whitelist: ['203.0.113.7/32', '::1'] } },
    });
    expect((await ctx.adapter.removeRules(secret(), route('solo'), ['203.0.113.7/32', '::1/128'])).ok).toBe(true);
    expect(ctx.fake.state.whitelist('solo')).toEqual([APISIX_DENY_ALL_PLACEHOLDER]);
    expect(APISIX_DENY_ALL_PLACEHOLDER).toBe('255.255.255.255/32');
    expect(await ctx.adapter.listRules(secret(), route('solo'))).toEqual({ ok: true, rules: [] });
    expect((await ctx.adapter.applyRules(secret(), route('solo'), rules('192.0.2.1/32', '192.0.2.2/32'))).ok).toBe(true);
    expect(ctx.fake.state.whitelist('solo')).toEqual(['192.0.2.1/32', '192.0.2.2/32']);
  });

  it('serialises concurrent edits of one route in this process so none is lost', async () => {
    const addresses = ['192.0.2.1', '192.0.2.2', '192.0.2.3', '192.0.2.4', '192.0.2.5'];
    const outcomes = await Promise.all(addresses.map((a) => ctx.adapter.applyRules(secret(), route('open'), rules(`${a}/32`))));
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect([...(ctx.fake.state.whitelist('open') ?? [])].sort()).toEqual(addresses.map((a) => `${a}/32`));
  });

  it('reports a missing route as NOT_FOUND (permanent) on apply, remove and list', async () => {
    const expected = { ok: false, kind: 'NOT_FOUND', reason: 'Route gone was not found on the APISIX gateway.' };
    expect(await ctx.adapter.applyRules(secret(), route('gone'), rules('192.0.2.1/32'))).toEqual(expected);
    expect(await ctx.adapter.removeRules(secret(), route('gone'), ['192.0.2.1/32'])).toEqual(expected);
    expect(await ctx.adapter.listRules(secret(), route('gone'))).toEqual(expected);
    expect(isTransientFailure(expected as ProviderOutcome)).toBe(false);
  });

  it('refuses to turn a blacklist route into a whitelist route, or to list it', async () => {
    ctx.fake.state.setRoute('bl', { uri: '/bl', upstream: UPSTREAM, plugins: { 'ip-restriction': { blacklist: ['192.0.2.66/32'] } } });
    const expected = {
      ok: false,
      kind: 'PROVIDER_ERROR',
      reason: 'Route bl uses an ip-restriction blacklist; EntryGuard manages whitelists only.',
    };
    expect(await ctx.adapter.applyRules(secret(), route('bl'), rules('192.0.2.1/32'))).toEqual(expected);
    expect(await ctx.adapter.listRules(secret(), route('bl'))).toEqual(expected);
    expect(ctx.fake.state.requestsWith('PATCH')).toHaveLength(0);
  });

  it('refuses anything wider than /8 (or /32 for IPv6), or with host bits set, without a call', async () => {
    expect(await ctx.adapter.applyRules(secret(), route('admin'), rules('192.0.2.1/32', '0.0.0.0/0'))).toEqual({
      ok: false,
      kind: 'UNSAFE',
      reason:
        'Only a single address, or a network of at least /8 (IPv4) or /32 (IPv6) with no host bits, can be opened, and "0.0.0.0/0" is neither.',
    });
    expectFailure(await ctx.adapter.removeRules(secret(), route('admin'), ['10.0.0.0/7']), 'UNSAFE', false);
    expectFailure(await ctx.adapter.applyRules(secret(), route('admin'), rules('10.0.0.5/24')), 'UNSAFE', false);
    expectFailure(await ctx.adapter.applyRules(secret(), route('admin'), rules('2001:db8::/31')), 'UNSAFE', false);
    expect(ctx.fake.state.requests).toHaveLength(0);
    expect(ctx.fake.state.whitelist('admin')).toEqual(OFFICE);
  });

  it('reports a wrong key on writes as INVALID_CREDENTIALS and never leaks the key', async () => {
    const outcome = await ctx.adapter.applyRules(secret({ adminKey: 'wrong-key-000000000000' }), route('admin'), rules('192.0.2.1/32'));
    expect(outcome).toEqual({ ok: false, kind: 'INVALID_CREDENTIALS', reason: 'APISIX refused the admin key (HTTP 401).' });
    expect(JSON.stringify(outcome)).not.toContain(ADMIN_KEY);
  });
});

describe('listRules', () => {
  it('returns the whitelist without the placeholder, single addresses canonical, description null', async () => {
    ctx.fake.state.setRoute('mixed', {
      uri: '/m',
      upstream: UPSTREAM,
      plugins: { 'ip-restriction': { whitelist: ['203.0.113.7', '2001:DB8::7', '10.0.0.0/8', '255.255.255.255', '203.0.113.7/32'] } },
    });
    expect(await ctx.adapter.listRules(secret(), route('mixed'))).toEqual({
      ok: true,
      rules: [
        { cidr: '203.0.113.7/32', description: null },
        { cidr: '2001:db8::7/128', description: null },
        { cidr: '10.0.0.0/8', description: null },
      ],
    });
    expect(ctx.fake.state.callCounts()).toEqual({ GET: 1 });
  });

  it('a route without ip-restriction has no rules', async () => {
    expect(await ctx.adapter.listRules(secret(), route('open'))).toEqual({ ok: true, rules: [] });
  });
});

describe('faults: transient failures come back at once for the engine to retry', () => {
  it('a 429 is THROTTLED and a 503 UNREACHABLE, both transient; nothing changes', async () => {
    ctx.fake.state.throttleNext(1);
    expect(await ctx.adapter.applyRules(secret(), route('admin'), rules('192.0.2.1/32'))).toEqual({
      ok: false,
      kind: 'THROTTLED',
      reason: 'APISIX is rate limiting the Admin API; try again shortly.',
    });
    ctx.fake.state.apply({ throttle: { count: 1 }, throttleStatus: 503 });
    expect(await ctx.adapter.applyRules(secret(), route('admin'), rules('192.0.2.1/32'))).toEqual({
      ok: false,
      kind: 'UNREACHABLE',
      reason: 'The APISIX Admin API is unavailable (HTTP 503); try again later.',
    });
    expect(ctx.fake.state.whitelist('admin')).toEqual(OFFICE);
    expect(ctx.fake.state.callCounts()).toEqual({ GET: 2 });
  });

  it('throttling only writes: the read passes, the PATCH is refused, the whitelist is unchanged', async () => {
    ctx.fake.state.throttleNext(2, ['PATCH']);
    expectFailure(await ctx.adapter.removeRules(secret(), route('admin'), ['198.51.100.10/32']), 'THROTTLED', true);
    expectFailure(await ctx.adapter.applyRules(secret(), route('admin'), rules('192.0.2.1/32')), 'THROTTLED', true);
    expect(ctx.fake.state.callCounts()).toEqual({ GET: 2, PATCH: 2 });
    expect(ctx.fake.state.whitelist('admin')).toEqual(OFFICE);
    expect((await ctx.adapter.applyRules(secret(), route('admin'), rules('192.0.2.1/32'))).ok).toBe(true);
  });

  it('a gateway that is down (connections reset, or 503 for everything) is UNREACHABLE; back up, it works', async () => {
    ctx.fake.state.down = 'refuse';
    expect(await ctx.adapter.applyRules(secret(), route('admin'), rules('192.0.2.1/32'))).toEqual({
      ok: false,
      kind: 'UNREACHABLE',
      reason: 'Could not reach the APISIX Admin API: the network failed.',
    });
    expect(ctx.fake.state.callCounts()).toEqual({});
    ctx.fake.state.down = 'unavailable';
    expectFailure(await ctx.adapter.listRules(secret(), route('admin')), 'UNREACHABLE', true);
    ctx.fake.state.down = false;
    expect((await ctx.adapter.applyRules(secret(), route('admin'), rules('192.0.2.1/32'))).ok).toBe(true);
  });

  it('a gateway slower than the timeout is TIMEOUT (transient)', async () => {
    ctx.fake.state.delayMs = 1000;
    const outcome = await ctx.adapterWith({ timeoutMs: 150 }).removeRules(secret(), route('admin'), ['198.51.100.10/32']);
    expect(outcome).toEqual({ ok: false, kind: 'TIMEOUT', reason: 'APISIX did not answer within 150 ms.' });
    expect(isTransientFailure(outcome)).toBe(true);
  });
});
