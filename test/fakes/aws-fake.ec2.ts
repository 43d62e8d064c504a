import { canonicalCidr, ruleKey, type AwsFakeGroup, type AwsFakeRule, type AwsFakeState } from './aws-fake.state';

export const EC2_ACTIONS = ['DescribeSecurityGroups', 'AuthorizeSecurityGroupIngress', 'RevokeSecurityGroupIngress'];

export type Ec2Error = { status: number; code: string; message: string };
type Params = Map<string, string>;

const DESCRIPTION = /^[a-zA-Z0-9. _\-:/()#,@[\]+=&;{}!$*]{0,255}$/;
const GROUP_ID = /^sg-[0-9a-f]{8,17}$/;

/** The EC2 side of the fake: security-group actions against the state, answering XML bodies. */
export function answerEc2(state: AwsFakeState, region: string, action: string, params: Params): { xml: string } | Ec2Error {
  if (action === 'DescribeSecurityGroups') {
    const ids = members(params, 'GroupId').map((m) => m.get('') ?? '');
    const groups: AwsFakeGroup[] = [];
    for (const id of ids) {
      const found = findGroup(state, region, id);
      if ('code' in found) return found;
      groups.push(found);
    }
    const all = ids.length > 0 ? groups : [...(state.groups.get(region)?.values() ?? [])];
    return { xml: `<securityGroupInfo>${all.map(groupXml).join('')}</securityGroupInfo>` };
  }

  const group = findGroup(state, region, params.get('GroupId') ?? '');
  if ('code' in group) return group;
  const rules = rulesOf(params);
  if ('code' in rules) return rules;
  const existing = new Set(group.ingress.map(ruleKey));

  if (action === 'AuthorizeSecurityGroupIngress') {
    // Atomic like EC2: one duplicate and nothing from the request is added.
    const duplicate = rules.find((rule) => existing.has(ruleKey(rule)));
    if (duplicate) {
      return bad(
        'InvalidPermission.Duplicate',
        `the specified rule "peer: ${duplicate.cidr}, ${duplicate.ipProtocol.toUpperCase()}, from port: ${duplicate.fromPort ?? -1}, to port: ${duplicate.toPort ?? -1}, ALLOW" already exists`,
      );
    }
    if (new Set(rules.map(ruleKey)).size !== rules.length) {
      return bad('InvalidParameterValue', 'The same permission must not appear multiple times');
    }
    // Atomic too: a call that would pass the group's quota adds nothing.
    if (group.ingress.length + rules.length > state.limitOf(group)) {
      return bad('RulesPerSecurityGroupLimitExceeded', 'The maximum number of rules per security group has been reached.');
    }
    group.ingress.push(...rules);
    const items = rules.map(
      (rule, i) =>
        `<item><securityGroupRuleId>sgr-${Date.now().toString(16)}${i}</securityGroupRuleId><groupId>${group.groupId}</groupId>` +
        `<groupOwnerId>${group.ownerId}</groupOwnerId><isEgress>false</isEgress>${portsXml(rule)}` +
        `<${rule.cidr.includes(':') ? 'cidrIpv6' : 'cidrIpv4'}>${rule.cidr}</${rule.cidr.includes(':') ? 'cidrIpv6' : 'cidrIpv4'}>` +
        (rule.description ? `<description>${esc(rule.description)}</description>` : '') +
        `</item>`,
    );
    return { xml: `<return>true</return><securityGroupRuleSet>${items.join('')}</securityGroupRuleSet>` };
  }

  // RevokeSecurityGroupIngress
  const absent = rules.filter((rule) => !existing.has(ruleKey(rule)));
  if (absent.length > 0 && state.revokeAbsentBehaviour === 'error') {
    return bad('InvalidPermission.NotFound', 'The specified rule does not exist in this security group.');
  }
  const revoke = new Set(rules.map(ruleKey));
  group.ingress = group.ingress.filter((rule) => !revoke.has(ruleKey(rule)));
  const unknown =
    absent.length > 0 && state.revokeAbsentBehaviour === 'unknown'
      ? `<unknownIpPermissionSet>${absent.map((rule) => `<item>${permissionXml([rule])}</item>`).join('')}</unknownIpPermissionSet>`
      : '';
  return { xml: `<return>${absent.length === 0}</return>${unknown}` };
}

function findGroup(state: AwsFakeState, region: string, id: string): AwsFakeGroup | Ec2Error {
  if (!GROUP_ID.test(id)) return bad('InvalidGroupId.Malformed', `Invalid id: "${id}" (expecting "sg-...")`);
  return state.group(region, id) ?? bad('InvalidGroup.NotFound', `The security group '${id}' does not exist`);
}

/** Flattens the request's IpPermissions.N.* parameters into one rule per protocol/ports/CIDR. */
function rulesOf(params: Params): AwsFakeRule[] | Ec2Error {
  const rules: AwsFakeRule[] = [];
  const permissions = members(params, 'IpPermissions');
  if (permissions.length === 0) return bad('MissingParameter', 'The request must contain the parameter ipPermissions');
  for (const p of permissions) {
    const protocol =
      ({ '6': 'tcp', '17': 'udp', '1': 'icmp' } as Record<string, string>)[p.get('IpProtocol') ?? ''] ?? p.get('IpProtocol')?.toLowerCase();
    if (!protocol || !['tcp', 'udp', 'icmp', '-1'].includes(protocol)) {
      return bad('InvalidParameterValue', `Invalid value '${p.get('IpProtocol')}' for IP protocol. Unknown protocol.`);
    }
    const from = p.has('FromPort') ? Number(p.get('FromPort')) : undefined;
    const to = p.has('ToPort') ? Number(p.get('ToPort')) : undefined;
    if ((protocol === 'tcp' || protocol === 'udp') && (from === undefined || to === undefined || from < 0 || to > 65535 || from > to)) {
      return bad('InvalidParameterValue', 'Invalid value for portRange. Must specify both from and to ports with TCP/UDP.');
    }
    const ranges = [
      ...members(p, 'IpRanges').map((r) => ({ cidr: r.get('CidrIp'), description: r.get('Description'), v6: false })),
      ...members(p, 'Ipv6Ranges').map((r) => ({ cidr: r.get('CidrIpv6'), description: r.get('Description'), v6: true })),
    ];
    if (ranges.length === 0) return bad('InvalidParameterValue', 'The request must name at least one CIDR range.');
    for (const range of ranges) {
      const cidr = canonicalCidr(range.cidr ?? '');
      if (!cidr || cidr.includes(':') !== range.v6) return bad('InvalidParameterValue', `CIDR block ${range.cidr} is malformed`);
      if (range.description !== undefined && !DESCRIPTION.test(range.description)) {
        return bad(
          'InvalidParameterValue',
          'Invalid rule description. Valid descriptions are strings less than 256 characters from the following set:  a-zA-Z0-9. _-:/()#,@[]+=&;{}!$*',
        );
      }
      const ports = protocol === '-1' ? {} : { fromPort: from, toPort: to };
      rules.push({ ipProtocol: protocol, ...ports, cidr, description: range.description });
    }
  }
  return rules;
}

/** Query lists arrive as Prefix.1.Field, Prefix.2.Field …; this groups them by index. */
function members(params: Params, prefix: string): Params[] {
  const byIndex = new Map<number, Params>();
  for (const [key, value] of params) {
    if (!key.startsWith(`${prefix}.`)) continue;
    const rest = key.slice(prefix.length + 1);
    const dot = rest.indexOf('.');
    const index = Number(dot === -1 ? rest : rest.slice(0, dot));
    if (!Number.isInteger(index)) continue;
    if (!byIndex.has(index)) byIndex.set(index, new Map());
    byIndex.get(index)!.set(dot === -1 ? '' : rest.slice(dot + 1), value);
  }
  return [...byIndex.entries()].sort(([a], [b]) => a - b).map(([, m]) => m);
}

function groupXml(group: AwsFakeGroup): string {
  // EC2 groups rules with the same protocol and ports into one permission with several ranges.
  const byPorts = new Map<string, AwsFakeRule[]>();
  for (const rule of group.ingress) {
    const key = `${rule.ipProtocol}|${rule.fromPort}|${rule.toPort}`;
    byPorts.set(key, [...(byPorts.get(key) ?? []), rule]);
  }
  const permissions = [...byPorts.values()].map((rules) => `<item>${permissionXml(rules)}</item>`).join('');
  return (
    `<item><ownerId>${group.ownerId}</ownerId><groupId>${group.groupId}</groupId><groupName>${esc(group.groupName)}</groupName>` +
    `<groupDescription>${esc(group.description)}</groupDescription><vpcId>${group.vpcId}</vpcId>` +
    `<ipPermissions>${permissions}</ipPermissions><ipPermissionsEgress/></item>`
  );
}

function permissionXml(rules: AwsFakeRule[]): string {
  const range = (rule: AwsFakeRule, field: string) =>
    `<item><${field}>${rule.cidr}</${field}>${rule.description ? `<description>${esc(rule.description)}</description>` : ''}</item>`;
  const v4 = rules.filter((r) => !r.cidr.includes(':')).map((r) => range(r, 'cidrIp'));
  const v6 = rules.filter((r) => r.cidr.includes(':')).map((r) => range(r, 'cidrIpv6'));
  return `${portsXml(rules[0])}<groups/><ipRanges>${v4.join('')}</ipRanges><ipv6Ranges>${v6.join('')}</ipv6Ranges><prefixListIds/>`;
}

function portsXml(rule: AwsFakeRule): string {
  const ports = rule.ipProtocol === '-1' ? '' : `<fromPort>${rule.fromPort}</fromPort><toPort>${rule.toPort}</toPort>`;
  return `<ipProtocol>${rule.ipProtocol}</ipProtocol>${ports}`;
}

function bad(code: string, message: string): Ec2Error {
  return { status: 400, code, message };
}

function esc(value: string): string {
  return value.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
