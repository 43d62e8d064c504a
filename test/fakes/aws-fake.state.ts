import { isIPv4, isIPv6 } from 'node:net';
import { FakeFaults, pushBounded, type DownMode, type FaultControls } from './fake-faults';

/** One seeded IAM identity. `allowedActions` absent = everything allowed. */
export interface AwsFakeAccount {
  secretAccessKey: string;
  accountId: string;
  /** e.g. ['GetCallerIdentity', 'ec2:DescribeSecurityGroups']; a service prefix is optional. */
  allowedActions?: string[];
  /** When set, requests must carry exactly this X-Amz-Security-Token. */
  sessionToken?: string;
  userName?: string;
  /** IAM's key status: an Inactive key is refused by every service, as AWS does. Default Active. */
  status?: 'Active' | 'Inactive';
  createDate?: string;
}

/** One ingress rule as EC2 stores it: protocol, port range and a single source CIDR. */
export interface AwsFakeRule {
  ipProtocol: string; // 'tcp' | 'udp' | 'icmp' | '-1'
  fromPort?: number;
  toPort?: number;
  cidr: string;
  description?: string;
}

export interface AwsFakeGroup {
  groupId: string;
  groupName: string;
  description: string;
  vpcId: string;
  ownerId: string;
  ingress: AwsFakeRule[];
  /** Inbound rules this group may hold; default the state's ruleLimit. */
  ruleLimit?: number;
}

export type AwsFakeGroupSeed = Partial<AwsFakeGroup> & { groupId: string };

export interface AwsFakeRequest {
  service: string;
  action: string;
  region?: string;
  accessKeyId?: string;
  status: number;
  /** The AWS error code answered, if any. */
  errorCode?: string;
}

/**
 * How a revoke of an absent rule is answered. 'error': InvalidPermission.NotFound (classic).
 * 'unknown': Return=false plus UnknownIpPermissionSet. 'silent': Return=false and nothing else.
 */
export type RevokeAbsentBehaviour = 'error' | 'unknown' | 'silent';

export interface AwsFakeSeed {
  accounts?: Record<string, AwsFakeAccount>;
  /** region -> groups */
  securityGroups?: Record<string, AwsFakeGroupSeed[]>;
  delayMs?: number;
  revokeAbsentBehaviour?: RevokeAbsentBehaviour;
  /** Inbound rules per security group (each protocol/ports/CIDR entry is one), as AWS's quota. Default 60. */
  ruleLimit?: number;
}

/** The AWS controls: the shared faults plus the EC2 behaviours a test may switch. */
export interface AwsFakeControls extends FaultControls {
  ruleLimit?: number;
  revokeAbsentBehaviour?: RevokeAbsentBehaviour;
}

/** The groups as plain JSON (GET /state of the fakes process): region -> groupId -> group. */
export type AwsFakeSnapshot = Record<string, Record<string, AwsFakeGroup>>;

/** AWS's default quota of inbound rules per security group. */
export const AWS_DEFAULT_RULE_LIMIT = 60;

export class AwsFakeState {
  readonly accounts = new Map<string, AwsFakeAccount>();
  /** region -> groupId -> group */
  readonly groups = new Map<string, Map<string, AwsFakeGroup>>();
  /** The most recent requests (bounded), oldest first. */
  readonly requests: AwsFakeRequest[] = [];
  readonly faults = new FakeFaults();
  revokeAbsentBehaviour: RevokeAbsentBehaviour = 'error';
  ruleLimit = AWS_DEFAULT_RULE_LIMIT;

  constructor(seed: AwsFakeSeed = {}) {
    for (const [id, account] of Object.entries(seed.accounts ?? {})) this.addAccount(id, account);
    for (const [region, groups] of Object.entries(seed.securityGroups ?? {})) {
      for (const group of groups) this.addSecurityGroup(region, group);
    }
    this.delayMs = seed.delayMs ?? 0;
    this.revokeAbsentBehaviour = seed.revokeAbsentBehaviour ?? 'error';
    this.ruleLimit = seed.ruleLimit ?? AWS_DEFAULT_RULE_LIMIT;
  }

  /** Every answer waits this long first (provokes client timeouts); the change is applied after the wait. */
  get delayMs(): number {
    return this.faults.delayMs;
  }
  set delayMs(ms: number) {
    this.faults.delayMs = ms;
  }

  /** false (up), 'refuse' (connections reset) or 'unavailable' (503 Unavailable for every call). */
  get down(): DownMode {
    return this.faults.down;
  }
  set down(mode: DownMode) {
    this.faults.down = mode;
  }

  addAccount(accessKeyId: string, account: AwsFakeAccount): this {
    this.accounts.set(accessKeyId, account);
    return this;
  }

  addSecurityGroup(region: string, seed: AwsFakeGroupSeed): AwsFakeGroup {
    const group: AwsFakeGroup = {
      groupName: seed.groupId,
      description: 'seeded by the fake',
      vpcId: 'vpc-0fa4e0000000000a1',
      ownerId: '000000000000',
      ...seed,
      ingress: (seed.ingress ?? []).map((rule) => ({ ...rule, cidr: canonicalCidr(rule.cidr) ?? rule.cidr })),
    };
    if (!this.groups.has(region)) this.groups.set(region, new Map());
    this.groups.get(region)!.set(group.groupId, group);
    return group;
  }

  group(region: string, groupId: string): AwsFakeGroup | undefined {
    return this.groups.get(region)?.get(groupId);
  }

  /** The ingress rules of a group (empty if the group does not exist). */
  ingress(region: string, groupId: string): AwsFakeRule[] {
    return this.group(region, groupId)?.ingress ?? [];
  }

  /** Removes a group's rules for this CIDR (all protocols and ports) behind the client's back; returns how many. */
  removeIngress(region: string, groupId: string, cidr: string): number {
    const group = this.group(region, groupId);
    if (!group) return 0;
    const wanted = canonicalCidr(cidr) ?? cidr;
    const before = group.ingress.length;
    group.ingress = group.ingress.filter((rule) => rule.cidr !== wanted);
    return before - group.ingress.length;
  }

  /** How many inbound rules this group may hold. */
  limitOf(group: AwsFakeGroup): number {
    return group.ruleLimit ?? this.ruleLimit;
  }

  /** The next `count` authenticated requests (optionally only these actions) are throttled. */
  throttleNext(count: number, actions?: string[]): this {
    this.faults.throttleNext(count, actions);
    return this;
  }

  /** Every authenticated request (optionally only these actions) is throttled for `ms` from now. */
  throttleFor(ms: number, actions?: string[]): this {
    this.faults.throttleFor(ms, actions);
    return this;
  }

  /** Used by the server: consumes one unit of the throttle budget if it applies. */
  takeThrottle(action: string): boolean {
    return this.faults.takeThrottle(action);
  }

  /** Calls received per action (e.g. AuthorizeSecurityGroupIngress) since the last reset. */
  callCounts(): Record<string, number> {
    return this.faults.callCounts();
  }

  resetCounters(): void {
    this.faults.resetCounters();
  }

  record(request: AwsFakeRequest): void {
    pushBounded(this.requests, request);
  }

  requestsFor(action: string): AwsFakeRequest[] {
    return this.requests.filter((r) => r.action === action);
  }

  clearRequests(): void {
    this.requests.length = 0;
  }

  isAllowed(account: AwsFakeAccount, service: string, action: string): boolean {
    if (!account.allowedActions) return true;
    return account.allowedActions.some(
      (entry) => entry === action || entry === `${service}:${action}` || entry === `${service}:*` || entry === '*',
    );
  }

  apply(controls: AwsFakeControls): void {
    this.faults.apply(controls);
    if (controls.ruleLimit !== undefined) this.ruleLimit = controls.ruleLimit;
    if (controls.revokeAbsentBehaviour !== undefined) this.revokeAbsentBehaviour = controls.revokeAbsentBehaviour;
  }

  /** Every group with its rules, as plain JSON. */
  snapshot(): AwsFakeSnapshot {
    const out: AwsFakeSnapshot = {};
    for (const [region, groups] of this.groups) {
      out[region] = Object.fromEntries([...groups].map(([id, group]) => [id, structuredClone(group)]));
    }
    return out;
  }
}

/** EC2 stores IPv6 in compressed lower-case form; IPv4 as given. Returns null for a bad CIDR. */
export function canonicalCidr(cidr: string): string | null {
  const [address, prefix] = cidr.split('/');
  if (prefix === undefined || !/^\d{1,3}$/.test(prefix)) return null;
  if (isIPv4(address) && Number(prefix) <= 32) return `${address}/${Number(prefix)}`;
  if (isIPv6(address) && Number(prefix) <= 128) {
    try {
      return `${new URL(`http://[${address}]/`).hostname.slice(1, -1)}/${Number(prefix)}`;
    } catch {
      return null;
    }
  }
  return null;
}

/** Identity of a rule for duplicate checks: AWS ignores ports for protocol -1 and descriptions always. */
export function ruleKey(rule: AwsFakeRule): string {
  const ports = rule.ipProtocol === '-1' ? '' : `${rule.fromPort}:${rule.toPort}`;
  return `${rule.ipProtocol}|${ports}|${rule.cidr}`;
}
