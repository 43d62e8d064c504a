import type { IpPermission, SecurityGroup } from '@aws-sdk/client-ec2';
import { parseIngressCidr, type IngressCidr } from '../shared/ingress-cidr.util';

const PROTOCOLS = ['tcp', 'udp', 'icmp', 'all'] as const;

/** One port (or "any port" for all traffic, -1/-1 for icmp) of the traffic a resource guards. */
export interface PortSlot {
  fromPort?: number;
  toPort?: number;
}

/** The traffic a resource guards, as EC2 names it: a protocol and one slot per port. */
export interface TrafficSpec {
  ipProtocol: string;
  slots: PortSlot[];
}

/** One address to open, with the description EC2 shows beside it (absent for revokes). */
export interface RangeEntry {
  address: IngressCidr;
  description?: string;
}

/** One (slot, address) pair: the unit EC2 counts as a rule. */
export interface SlotAddress {
  slot: number;
  address: IngressCidr;
  description?: string;
}

export type SpecResult = { ok: true; spec: TrafficSpec } | { ok: false; reason: string };

/** Reads a resource's config ({protocol, port} or {protocol, ports}) into the traffic it guards. */
export function trafficSpecOf(config: Record<string, unknown>): SpecResult {
  const protocol = typeof config?.protocol === 'string' ? config.protocol.toLowerCase() : undefined;
  if (!protocol || !(PROTOCOLS as readonly string[]).includes(protocol)) {
    return { ok: false, reason: 'The resource config needs a protocol: tcp, udp, icmp or all.' };
  }
  if (protocol === 'all') {
    return { ok: true, spec: { ipProtocol: '-1', slots: [{}] } };
  }
  if (protocol === 'icmp') {
    return { ok: true, spec: { ipProtocol: 'icmp', slots: [{ fromPort: -1, toPort: -1 }] } };
  }
  const ports = portsOf(config);
  if (!ports) {
    return { ok: false, reason: `The resource config for ${protocol} needs a port (or ports) between 0 and 65535.` };
  }
  return { ok: true, spec: { ipProtocol: protocol, slots: ports.map((port) => ({ fromPort: port, toPort: port })) } };
}

/** Every (slot, address) pair of the spec for these addresses. */
export function pairsOf(spec: TrafficSpec, entries: RangeEntry[]): SlotAddress[] {
  return spec.slots.flatMap((_, slot) => entries.map((entry) => ({ slot, ...entry })));
}

/**
 * The EC2 IpPermissions for these pairs: one permission per port, each carrying all of its
 * addresses (IPv4 in IpRanges, IPv6 in Ipv6Ranges), so one call adds or removes them all.
 */
export function buildPermissions(spec: TrafficSpec, pairs: SlotAddress[]): IpPermission[] {
  const permissions: IpPermission[] = [];
  spec.slots.forEach((slot, index) => {
    const here = pairs.filter((pair) => pair.slot === index);
    if (here.length === 0) {
      return;
    }
    const range = (pair: SlotAddress) => {
      const description = pair.description === undefined ? '' : sanitizeDescription(pair.description);
      return description ? { Description: description } : {};
    };
    const v4 = here.filter((p) => p.address.family === 4).map((p) => ({ CidrIp: p.address.cidr, ...range(p) }));
    const v6 = here.filter((p) => p.address.family === 6).map((p) => ({ CidrIpv6: p.address.cidr, ...range(p) }));
    permissions.push({
      IpProtocol: spec.ipProtocol,
      ...(spec.ipProtocol === '-1' ? {} : { FromPort: slot.fromPort, ToPort: slot.toPort }),
      ...(v4.length > 0 ? { IpRanges: v4 } : {}),
      ...(v6.length > 0 ? { Ipv6Ranges: v6 } : {}),
    });
  });
  return permissions;
}

/**
 * What the group holds on each slot of the spec: slot index -> address -> description (null when
 * none). Single addresses are in canonical form; wider ranges as EC2 wrote them. Rules of other
 * protocols or ports are not looked at.
 */
export function holdingsOf(group: SecurityGroup, spec: TrafficSpec): Array<Map<string, string | null>> {
  const holdings = spec.slots.map(() => new Map<string, string | null>());
  for (const existing of group.IpPermissions ?? []) {
    if (normalizeProtocol(existing.IpProtocol) !== spec.ipProtocol) {
      continue;
    }
    // AWS ignores ports for "all traffic" rules and omits them in answers.
    const slot =
      spec.ipProtocol === '-1' ? 0 : spec.slots.findIndex((s) => s.fromPort === existing.FromPort && s.toPort === existing.ToPort);
    if (slot < 0) {
      continue;
    }
    const ranges = [
      ...(existing.IpRanges ?? []).map((r) => [r.CidrIp, r.Description] as const),
      ...(existing.Ipv6Ranges ?? []).map((r) => [r.CidrIpv6, r.Description] as const),
    ];
    for (const [cidr, description] of ranges) {
      if (!cidr) {
        continue;
      }
      const key = parseIngressCidr(cidr)?.cidr ?? cidr;
      if (!holdings[slot].has(key) || holdings[slot].get(key) === null) {
        holdings[slot].set(key, description ?? null);
      }
    }
  }
  return holdings;
}

/** The pairs the group holds (present = true) or lacks (present = false). */
export function pairsWhere(holdings: Array<Map<string, string | null>>, pairs: SlotAddress[], present: boolean): SlotAddress[] {
  return pairs.filter((pair) => holdings[pair.slot].has(pair.address.cidr) === present);
}

function portsOf(config: Record<string, unknown>): number[] | null {
  const raw = Array.isArray(config.ports) ? config.ports : config.port !== undefined ? [config.port] : [];
  if (raw.length === 0 || !raw.every((p) => Number.isInteger(p) && (p as number) >= 0 && (p as number) <= 65535)) {
    return null;
  }
  return [...new Set(raw as number[])].sort((a, b) => a - b);
}

/** AWS rejects the whole call when a description holds characters outside this set or exceeds 255. */
function sanitizeDescription(description: string): string {
  return (description ?? '')
    .replace(/[^a-zA-Z0-9. _\-:/()#,@[\]+=&;{}!$*]/g, '-')
    .slice(0, 255)
    .trim();
}

function normalizeProtocol(protocol: string | undefined): string | undefined {
  const byNumber: Record<string, string> = { '6': 'tcp', '17': 'udp', '1': 'icmp' };
  const lower = protocol?.toLowerCase();
  return lower ? (byNumber[lower] ?? lower) : lower;
}
