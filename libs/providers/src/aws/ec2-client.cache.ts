import { createHash } from 'node:crypto';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { AwsAccessKeyData } from '../provider.types';

/** A client unused this long is destroyed (its sockets closed, the keys it held let go). */
export const EC2_CLIENT_IDLE_MS = 60_000;
/** At most this many clients at once; the least recently used goes first. */
export const EC2_CLIENT_MAX = 64;

/**
 * EC2 clients kept per key and region while in use: building a client (its middleware stack,
 * signer and HTTP agent) and opening a connection for every call cost more CPU than the call
 * itself when the engine calls all the time. Keyed by a hash of the keys and the region, so keys
 * rotated in place get a client of their own; the plaintext keys live only in the client, as they
 * did for one call before, and for at most EC2_CLIENT_IDLE_MS (and a quarter) after its last use.
 */
export class Ec2ClientCache {
  private readonly clients = new Map<string, { client: EC2Client; usedAt: number; users: number }>();
  private sweep?: NodeJS.Timeout;

  constructor(
    private readonly create: (keys: AwsAccessKeyData, region: string) => EC2Client,
    private readonly now: () => number = Date.now,
  ) {}

  /** Runs `work` with the client for these keys and region; a client in use is never destroyed. */
  async use<T>(keys: AwsAccessKeyData, region: string, work: (client: EC2Client) => Promise<T>): Promise<T> {
    this.evictIdle();
    const key = createHash('sha256')
      .update([keys.accessKeyId, keys.secretAccessKey, keys.sessionToken ?? '', region].join('\0'))
      .digest('base64');
    const entry = this.clients.get(key) ?? { client: this.create(keys, region), usedAt: 0, users: 0 };
    // Re-inserted: the map's order is the order of last use.
    this.clients.delete(key);
    this.clients.set(key, entry);
    entry.users += 1;
    this.trim();
    this.scheduleSweep();
    try {
      return await work(entry.client);
    } finally {
      entry.users -= 1;
      entry.usedAt = this.now();
    }
  }

  get size(): number {
    return this.clients.size;
  }

  /** Destroys every client (the app is closing). */
  clear(): void {
    clearTimeout(this.sweep);
    this.sweep = undefined;
    this.clients.forEach((entry) => entry.client.destroy());
    this.clients.clear();
  }

  /** Destroys the clients not in use and unused for EC2_CLIENT_IDLE_MS. */
  evictIdle(): void {
    const limit = this.now() - EC2_CLIENT_IDLE_MS;
    for (const [key, entry] of this.clients) {
      if (entry.users === 0 && entry.usedAt <= limit) {
        entry.client.destroy();
        this.clients.delete(key);
      }
    }
  }

  /** Beyond EC2_CLIENT_MAX, the least recently used clients not in use go. */
  private trim(): void {
    for (const [key, entry] of this.clients) {
      if (this.clients.size <= EC2_CLIENT_MAX) {
        return;
      }
      if (entry.users === 0) {
        entry.client.destroy();
        this.clients.delete(key);
      }
    }
  }

  /** Idle clients go even when no call comes, within a quarter of the idle time; the timer never keeps the process alive. */
  private scheduleSweep(): void {
    if (this.sweep) {
      return;
    }
    this.sweep = setTimeout(() => {
      this.sweep = undefined;
      this.evictIdle();
      if (this.clients.size > 0) {
        this.scheduleSweep();
      }
    }, EC2_CLIENT_IDLE_MS / 4);
    this.sweep.unref();
  }
}
