import type { EC2Client } from '@aws-sdk/client-ec2';
import { EC2_CLIENT_IDLE_MS, EC2_CLIENT_MAX, Ec2ClientCache } from './ec2-client.cache';

type Made = { id: number; destroyed: boolean; destroy(): void };

/** Stand-ins that record being destroyed; the real clients are exercised against the AWS fake (test/providers). */
function subject() {
  let now = 1_000_000;
  const made: Made[] = [];
  const cache = new Ec2ClientCache(
    () => {
      const client: Made = { id: made.length, destroyed: false, destroy: () => (client.destroyed = true) };
      made.push(client);
      return client as unknown as EC2Client;
    },
    () => now,
  );
  /** The client `use` hands out for these keys and region, used for a moment. */
  const clientFor = (secret: string, region = 'eu-west-1', sessionToken?: string) =>
    cache.use(keys(secret, sessionToken), region, async (client) => client as unknown as Made);
  return { cache, made, clientFor, advance: (ms: number) => (now += ms) };
}

const keys = (secret: string, sessionToken?: string) => ({ accessKeyId: 'AKIAEXAMPLE', secretAccessKey: secret, sessionToken });

describe('Ec2ClientCache', () => {
  afterEach(() => jest.useRealTimers());

  it('one client per keys and region: the same keys again get it; another secret, session token or region gets its own', async () => {
    const { clientFor, made } = subject();
    const first = await clientFor('a');
    expect(await clientFor('a')).toBe(first);
    expect(await clientFor('b')).not.toBe(first); // rotated in place
    expect(await clientFor('a', 'eu-west-1', 'token')).not.toBe(first);
    expect(await clientFor('a', 'us-east-1')).not.toBe(first);
    expect(made.length).toBe(4);
    expect(made.some((client) => client.destroyed)).toBe(false);
  });

  it('a client unused for EC2_CLIENT_IDLE_MS after its last use is destroyed, and the keys get a new one', async () => {
    const { clientFor, made, advance, cache } = subject();
    await clientFor('a');
    advance(EC2_CLIENT_IDLE_MS - 1);
    await clientFor('b');
    expect(made[0].destroyed).toBe(false);
    advance(2);
    await clientFor('b');
    expect(made[0].destroyed).toBe(true);
    expect(cache.size).toBe(1);
    await clientFor('a');
    expect(made.length).toBe(3);
  });

  it('a client in use is never destroyed, however long its call or however many clients come after', async () => {
    const { cache, made, advance, clientFor } = subject();
    let finish!: () => void;
    const long = cache.use(keys('long'), 'eu-west-1', () => new Promise<void>((resolve) => (finish = resolve)));
    advance(EC2_CLIENT_IDLE_MS * 3);
    for (let i = 0; i < EC2_CLIENT_MAX + 5; i++) await clientFor(`s${i}`);
    expect(made[0].destroyed).toBe(false);
    finish();
    await long;
    // Its idle time runs from the end of its call.
    advance(EC2_CLIENT_IDLE_MS - 1);
    cache.evictIdle();
    expect(made[0].destroyed).toBe(false);
    advance(2);
    cache.evictIdle();
    expect(made[0].destroyed).toBe(true);
  });

  it('beyond EC2_CLIENT_MAX the least recently used is destroyed; clear() destroys the rest', async () => {
    const { cache, made, clientFor } = subject();
    for (let i = 0; i < EC2_CLIENT_MAX; i++) await clientFor(`s${i}`);
    await clientFor('s0'); // used again: now the newest
    await clientFor('one more');
    expect(made.filter((client) => client.destroyed).map((client) => client.id)).toEqual([1]);
    expect(cache.size).toBe(EC2_CLIENT_MAX);
    cache.clear();
    expect(made.every((client) => client.destroyed)).toBe(true);
    expect(cache.size).toBe(0);
  });

  it('idle clients go without a call, within a quarter of the idle time, on a timer that does not keep the process alive', async () => {
    jest.useFakeTimers();
    const destroy = jest.fn();
    const cache = new Ec2ClientCache(() => ({ destroy }) as unknown as EC2Client);
    await cache.use(keys('a'), 'eu-west-1', async () => undefined);
    jest.advanceTimersByTime(EC2_CLIENT_IDLE_MS - 1);
    expect(destroy).not.toHaveBeenCalled();
    jest.advanceTimersByTime(EC2_CLIENT_IDLE_MS / 4 + 1);
    expect(destroy).toHaveBeenCalled();
    expect(cache.size).toBe(0);
  });
});
