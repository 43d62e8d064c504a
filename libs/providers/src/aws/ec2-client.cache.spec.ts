import type { EC2Client } from '@aws-sdk/client-ec2';
import { EC2_CLIENT_IDLE_MS, EC2_CLIENT_MAX, Ec2ClientCache } from './ec2-client.cache';

/** Stand-ins that record being destroyed; the real clients are exercised against the AWS fake (test/providers). */
function subject() {
  let now = 1_000_000;
  const made: Array<{ id: number; destroyed: boolean; destroy(): void }> = [];
  const cache = new Ec2ClientCache(
    () => {
      const client = { id: made.length, destroyed: false, destroy: () => (client.destroyed = true) };
      made.push(client);
      return client as unknown as EC2Client;
    },
    () => now,
  );
  return { cache, made, advance: (ms: number) => (now += ms) };
}

const keys = (secret: string, sessionToken?: string) => ({ accessKeyId: 'AKIAEXAMPLE', secretAccessKey: secret, sessionToken });

describe('Ec2ClientCache', () => {
  afterEach(() => jest.useRealTimers());

  it('one client per keys and region: the same keys again get it; another secret, session token or region gets its own', () => {
    const { cache, made } = subject();
    const first = cache.get(keys('a'), 'eu-west-1');
    expect(cache.get(keys('a'), 'eu-west-1')).toBe(first);
    expect(cache.get(keys('b'), 'eu-west-1')).not.toBe(first); // rotated in place
    expect(cache.get(keys('a', 'token'), 'eu-west-1')).not.toBe(first);
    expect(cache.get(keys('a'), 'us-east-1')).not.toBe(first);
    expect(made.length).toBe(4);
    expect(made.some((client) => client.destroyed)).toBe(false);
  });

  it('a client unused for EC2_CLIENT_IDLE_MS is destroyed, and the keys get a new one', () => {
    const { cache, made, advance } = subject();
    cache.get(keys('a'), 'eu-west-1');
    advance(EC2_CLIENT_IDLE_MS - 1);
    cache.get(keys('b'), 'eu-west-1');
    expect(made[0].destroyed).toBe(false);
    advance(2);
    cache.get(keys('b'), 'eu-west-1');
    expect(made[0].destroyed).toBe(true);
    expect(cache.size).toBe(1);
    cache.get(keys('a'), 'eu-west-1');
    expect(made.length).toBe(3);
  });

  it('beyond EC2_CLIENT_MAX the least recently used is destroyed; clear() destroys the rest', () => {
    const { cache, made } = subject();
    for (let i = 0; i < EC2_CLIENT_MAX; i++) cache.get(keys(`s${i}`), 'eu-west-1');
    cache.get(keys('s0'), 'eu-west-1'); // used again: now the newest
    cache.get(keys('one more'), 'eu-west-1');
    expect(made.filter((client) => client.destroyed).map((client) => client.id)).toEqual([1]);
    expect(cache.size).toBe(EC2_CLIENT_MAX);
    cache.clear();
    expect(made.every((client) => client.destroyed)).toBe(true);
    expect(cache.size).toBe(0);
  });

  it('idle clients go without a call, on a timer that does not keep the process alive', () => {
    jest.useFakeTimers();
    const cache = new Ec2ClientCache(() => ({ destroy: jest.fn() }) as unknown as EC2Client);
    const client = cache.get(keys('a'), 'eu-west-1');
    jest.advanceTimersByTime(EC2_CLIENT_IDLE_MS + 1);
    expect(client.destroy).toHaveBeenCalled();
    expect(cache.size).toBe(0);
  });
});
