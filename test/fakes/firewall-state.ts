import { isIPv4, isIPv6 } from 'node:net';
import type { ResourceTarget } from '@app/providers';
import type { ApisixFakeSnapshot, ApisixFakeState } from './apisix-fake-server';
import type { AwsFakeSnapshot, AwsFakeState } from './aws-fake.state';

/**
 * What the fakes hold, in one shape for the engine's invariant ("the rules in the fakes are
 * exactly the rules that live holders need"): firewall key -> addresses.
 *
 * Keys: AWS `aws:<region>:<groupId>:<protocol>[:<port>]` (one per protocol and port, as the
 * adapter writes one rule per port: `tcp:443`, `udp:51820`, `icmp:-1`, `all`; a port range
 * someone else added shows as `tcp:1000-2000`); APISIX `apisix:<routeId>`. Addresses are in
 * canonical form: a.b.c.d/32, compressed lower-case IPv6 /128; wider CIDRs as written. The
 * APISIX deny-all placeholder is left out, and so is a firewall with no address at all.
 *
 * Every function takes a live state (in-process fakes) or its snapshot (GET /state of the
 * standalone fakes process), so multi-process tests can check the same invariant.
 */
export type FirewallState = Map<string, Set<string>>;

const APISIX_PLACEHOLDER = '255.255.255.255/32';

export function awsFirewallState(source: AwsFakeState | AwsFakeSnapshot): FirewallState {
  const snapshot = hasSnapshot(source) ? source.snapshot() : source;
  const state: FirewallState = new Map();
  for (const [region, groups] of Object.entries(snapshot)) {
    for (const [groupId, group] of Object.entries(groups)) {
      for (const rule of group.ingress) {
        add(state, awsKey(region, groupId, rule.ipProtocol, rule.fromPort, rule.toPort), canonical(rule.cidr));
      }
    }
  }
  return state;
}

export function apisixFirewallState(source: ApisixFakeState | ApisixFakeSnapshot): FirewallState {
  const snapshot = hasSnapshot(source) ? source.snapshot() : source;
  const state: FirewallState = new Map();
  for (const [routeId, route] of Object.entries(snapshot)) {
    const plugins = route.plugins as Record<string, { whitelist?: unknown }> | undefined;
    const whitelist = plugins?.['ip-restriction']?.whitelist;
    for (const entry of Array.isArray(whitelist) ? whitelist : []) {
      const cidr = canonical(String(entry));
      if (cidr !== APISIX_PLACEHOLDER) add(state, `apisix:${routeId}`, cidr);
    }
  }
  return state;
}

/** Both fakes in one state (either may be absent). */
export function firewallState(fakes: {
  aws?: AwsFakeState | AwsFakeSnapshot;
  apisix?: ApisixFakeState | ApisixFakeSnapshot;
}): FirewallState {
  return mergeFirewallStates(
    fakes.aws ? awsFirewallState(fakes.aws) : new Map(),
    fakes.apisix ? apisixFirewallState(fakes.apisix) : new Map(),
  );
}

/** The keys a resource's rules live under: one per port for AWS, the route for APISIX. */
export function firewallKeys(target: Pick<ResourceTarget, 'provider' | 'resourceIdentifier' | 'region' | 'config'>): string[] {
  if (target.provider === 'APISIX') return [`apisix:${target.resourceIdentifier}`];
  if (target.provider !== 'AWS') throw new Error(`No fake firewall for ${target.provider}`);
  const region = target.region ?? '';
  const protocol = String(target.config?.protocol ?? '').toLowerCase();
  if (protocol === 'all') return [awsKey(region, target.resourceIdentifier, '-1')];
  if (protocol === 'icmp') return [awsKey(region, target.resourceIdentifier, 'icmp', -1, -1)];
  const ports = Array.isArray(target.config?.ports) ? target.config.ports : [target.config?.port];
  return [...new Set(ports as number[])].map((port) => awsKey(region, target.resourceIdentifier, protocol, port, port));
}

/**
 * What the firewalls should hold: every holder's addresses on every key of its resource, plus a
 * baseline (the rules seeded before the test, which EntryGuard must leave alone).
 */
export function expectedFirewallState(
  holdings: Iterable<{ target: Pick<ResourceTarget, 'provider' | 'resourceIdentifier' | 'region' | 'config'>; cidrs: Iterable<string> }>,
  baseline: FirewallState = new Map(),
): FirewallState {
  const state = mergeFirewallStates(baseline);
  for (const { target, cidrs } of holdings) {
    const list = [...cidrs];
    for (const key of firewallKeys(target)) for (const cidr of list) add(state, key, canonical(cidr));
  }
  return state;
}

export function mergeFirewallStates(...states: FirewallState[]): FirewallState {
  const merged: FirewallState = new Map();
  for (const state of states) for (const [key, cidrs] of state) for (const cidr of cidrs) add(merged, key, cidr);
  return merged;
}

/** "key cidr" entries the firewalls lack (missing) or hold without a reason (extra); both empty when equal. */
export function diffFirewallState(actual: FirewallState, expected: FirewallState): { missing: string[]; extra: string[] } {
  const entries = (state: FirewallState) => new Set([...state].flatMap(([key, cidrs]) => [...cidrs].map((cidr) => `${key} ${cidr}`)));
  const have = entries(actual);
  const want = entries(expected);
  return {
    missing: [...want].filter((entry) => !have.has(entry)).sort(),
    extra: [...have].filter((entry) => !want.has(entry)).sort(),
  };
}

/** Sorted plain object, for toEqual and for printing. */
export function plainFirewallState(state: FirewallState): Record<string, string[]> {
  return Object.fromEntries(
    [...state]
      .filter(([, cidrs]) => cidrs.size > 0)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, cidrs]) => [key, [...cidrs].sort()]),
  );
}

/** How many address entries a state holds in all (e.g. AWS rules, for "provider calls per rule"). */
export function countEntries(state: FirewallState): number {
  return [...state.values()].reduce((sum, cidrs) => sum + cidrs.size, 0);
}

function awsKey(region: string, groupId: string, protocol: string, fromPort?: number, toPort?: number): string {
  const base = `aws:${region}:${groupId}:${protocol === '-1' ? 'all' : protocol}`;
  if (protocol === '-1' || fromPort === undefined) return base;
  return `${base}:${fromPort === toPort ? fromPort : `${fromPort}-${toPort}`}`;
}

/** a.b.c.d -> a.b.c.d/32, an IPv6 address compressed in lower case; anything else as given. */
export function canonical(cidr: string): string {
  const [address, prefix] = cidr.trim().split('/');
  if (isIPv4(address)) return `${address}/${prefix ?? 32}`;
  if (isIPv6(address)) return `${new URL(`http://[${address}]/`).hostname.slice(1, -1)}/${prefix ?? 128}`;
  return cidr;
}

function add(state: FirewallState, key: string, cidr: string): void {
  if (!state.has(key)) state.set(key, new Set());
  state.get(key)!.add(cidr);
}

function hasSnapshot<T>(source: unknown): source is { snapshot(): T } {
  return typeof (source as { snapshot?: unknown }).snapshot === 'function';
}
