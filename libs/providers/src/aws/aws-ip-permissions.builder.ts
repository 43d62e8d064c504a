import type { IpPermission, SecurityGroup } from '@aws-sdk/client-ec2';
import type { SingleAddressCidr } from '../shared/ingress-cidr.util';

const PROTOCOLS = ['tcp', 'udp', 'icmp', 'all'] as const;
type Protocol = (typeof PROTOCOLS)[number];

export type PermissionsResult = { ok: true; permissions: IpPermission[] } | { ok: false; reason: string };

/**
 * Turns a resource's config ({protocol, port} or {protocol, ports}) and one address into the
 * EC2 IpPermissions that open exactly that: one permission per port, so each port can be
 * checked and revoked on its own.
 */
export function buildIpPermissions(config: Record<string, unknown>, address: SingleAddressCidr, description: string): PermissionsResult {
  const protocol = typeof config?.protocol === 'string' ? config.protocol.toLowerCase() : undefined;
  if (!protocol || !(PROTOCOLS as readonly string[]).includes(protocol)) {
    return { ok: false, reason: 'The resource config needs a protocol: tcp, udp, icmp or all.' };
  }
  const ranges = rangesFor(address, sanitizeDescription(description));

  if (protocol === 'all') {
    return { ok: true, permissions: [{ IpProtocol: '-1', ...ranges }] };
  }
  if (protocol === 'icmp') {
    return { ok: true, permissions: [{ IpProtocol: 'icmp', FromPort: -1, ToPort: -1, ...ranges }] };
  }

  const ports = portsOf(config);
  if (!ports) {
    return { ok: false, reason: `The resource config for ${protocol} needs a port (or ports) between 0 and 65535.` };
  }
  return {
    ok: true,
    permissions: ports.map((port) => ({ IpProtocol: protocol as Protocol, FromPort: port, ToPort: port, ...ranges })),
  };
}

/** True when the group's ingress already contains this permission's protocol, ports and address. */
export function groupHasPermission(group: SecurityGroup, wanted: IpPermission): boolean {
  const wantedCidr = wanted.IpRanges?.[0]?.CidrIp ?? wanted.Ipv6Ranges?.[0]?.CidrIpv6;
  return (group.IpPermissions ?? []).some((existing) => {
    if (normalizeProtocol(existing.IpProtocol) !== normalizeProtocol(wanted.IpProtocol)) {
      return false;
    }
    // AWS ignores ports for "all traffic" rules and omits them in answers.
    if (wanted.IpProtocol !== '-1' && (existing.FromPort !== wanted.FromPort || existing.ToPort !== wanted.ToPort)) {
      return false;
    }
    const cidrs = [...(existing.IpRanges ?? []).map((r) => r.CidrIp), ...(existing.Ipv6Ranges ?? []).map((r) => r.CidrIpv6)];
    return cidrs.includes(wantedCidr);
  });
}

function rangesFor(address: SingleAddressCidr, description: string): Pick<IpPermission, 'IpRanges' | 'Ipv6Ranges'> {
  const withDescription = description ? { Description: description } : {};
  return address.family === 4
    ? { IpRanges: [{ CidrIp: address.cidr, ...withDescription }] }
    : { Ipv6Ranges: [{ CidrIpv6: address.cidr, ...withDescription }] };
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
