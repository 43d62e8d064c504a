import {
  AuthorizeSecurityGroupIngressCommand,
  RevokeSecurityGroupIngressCommand,
  type EC2Client,
  type IpPermission,
  type RevokeSecurityGroupIngressCommandOutput,
} from '@aws-sdk/client-ec2';
import type { CredentialSecret, IngressRule, ProviderOutcome, ResourceTarget, RuleListOutcome } from '../provider.types';
import { parseIngressCidr } from '../shared/ingress-cidr.util';
import { fail, succeed, type ProviderFailure } from '../shared/provider-outcome.util';
import type { AwsApiCaller, Call, GroupRef } from './aws-api.caller';
import {
  buildPermissions,
  holdingsOf,
  pairsOf,
  pairsWhere,
  trafficSpecOf,
  type RangeEntry,
  type SlotAddress,
  type TrafficSpec,
} from './aws-ip-permissions.builder';

/**
 * Rounds of "call, read the group, call again with what is left" before giving up. One round is
 * the rule; more happen only when another writer changes the group between our calls.
 */
const MAX_ROUNDS = 3;

type Inputs = { ok: true; ref: GroupRef; spec: TrafficSpec; entries: RangeEntry[] } | { ok: false; outcome: ProviderFailure };

/**
 * Ingress rules of one security group, in batches: every address and port of a call goes into
 * one AuthorizeSecurityGroupIngress or RevokeSecurityGroupIngress. One attempt per call: a
 * throttled or slow call is reported as such, and retrying is the engine's decision.
 */
export class AwsIngressEditor {
  constructor(private readonly aws: AwsApiCaller) {}

  async apply(secret: CredentialSecret, target: ResourceTarget, rules: IngressRule[]): Promise<ProviderOutcome> {
    const input = this.inputs(secret, target, rules ?? [], 'opened');
    if (!input.ok) {
      return input.outcome;
    }
    const { ref, spec, entries } = input;
    if (entries.length === 0) {
      return succeed('No rules to add.');
    }
    const done = succeed(`${addresses(entries)} may now reach ${ref.groupId}.`);
    return this.aws.withEc2Client(ref.keys, ref.region, async (ec2) => {
      let pending = pairsOf(spec, entries);
      for (let round = 1; ; round++) {
        const result = await this.authorize(ec2, ref, buildPermissions(spec, pending));
        if (result.ok) {
          return done;
        }
        if (result.code !== 'InvalidPermission.Duplicate') {
          return result.outcome;
        }
        // EC2 refuses the whole call when any one rule exists: read the group, add what is missing.
        const group = await this.aws.describeGroup(ec2, ref, 'once');
        if (!group.ok) {
          return group.outcome;
        }
        pending = pairsWhere(holdingsOf(group.value, spec), pending, false);
        if (pending.length === 0) {
          return done;
        }
        if (round >= MAX_ROUNDS) {
          return fail('PROVIDER_ERROR', `AWS kept refusing rules on ${ref.groupId} as duplicates while ${pending.length} were missing.`);
        }
      }
    });
  }

  async remove(secret: CredentialSecret, target: ResourceTarget, cidrs: string[]): Promise<ProviderOutcome> {
    const input = this.inputs(
      secret,
      target,
      (cidrs ?? []).map((cidr) => ({ cidr })),
      'removed',
    );
    if (!input.ok) {
      return input.outcome;
    }
    const { ref, spec, entries } = input;
    if (entries.length === 0) {
      return succeed('No rules to remove.');
    }
    const done = succeed(`${addresses(entries)} no longer ${entries.length === 1 ? 'reaches' : 'reach'} ${ref.groupId}.`);
    return this.aws.withEc2Client(ref.keys, ref.region, async (ec2) => {
      let pending = pairsOf(spec, entries);
      for (let round = 1; ; round++) {
        const result = await this.revoke(ec2, ref, buildPermissions(spec, pending));
        if (!result.ok && result.code !== 'InvalidPermission.NotFound') {
          return result.outcome;
        }
        if (result.ok && (result.value.Return !== false || (result.value.UnknownIpPermissions?.length ?? 0) > 0)) {
          // Unknown permissions are ones the group did not hold: already absent, which is the goal.
          return done;
        }
        if (!result.ok && pending.length === 1) {
          return done; // NotFound about the only rule asked for: it is absent.
        }
        // NotFound (EC2 then revokes nothing) or a bare Return=false: look at the group, revoke what is still there.
        const group = await this.aws.describeGroup(ec2, ref, 'once');
        if (!group.ok) {
          return group.outcome;
        }
        pending = pairsWhere(holdingsOf(group.value, spec), pending, true);
        if (pending.length === 0) {
          return done;
        }
        if (round >= MAX_ROUNDS) {
          return fail('PROVIDER_ERROR', `AWS did not revoke ${pending.length} rule(s) from ${ref.groupId}, and they are still present.`);
        }
      }
    });
  }

  async list(secret: CredentialSecret, target: ResourceTarget): Promise<RuleListOutcome> {
    const input = this.inputs(secret, target, [], 'listed');
    if (!input.ok) {
      return input.outcome;
    }
    const { ref, spec } = input;
    return this.aws.withEc2Client(ref.keys, ref.region, async (ec2) => {
      const group = await this.aws.describeGroup(ec2, ref, 'once');
      if (!group.ok) {
        return group.outcome;
      }
      const seen = new Map<string, { description: string | null; slots: number }>();
      for (const slot of holdingsOf(group.value, spec)) {
        for (const [cidr, description] of slot) {
          const entry = seen.get(cidr) ?? { description: null, slots: 0 };
          seen.set(cidr, { description: entry.description ?? description, slots: entry.slots + 1 });
        }
      }
      return {
        ok: true,
        rules: [...seen].map(([cidr, { description, slots }]) => ({
          cidr,
          description,
          ...(slots < spec.slots.length ? { partial: true as const } : {}),
        })),
      };
    });
  }

  private async authorize(ec2: EC2Client, ref: GroupRef, permissions: IpPermission[]): Promise<Call<unknown>> {
    const command = new AuthorizeSecurityGroupIngressCommand({ GroupId: ref.groupId, IpPermissions: permissions });
    const context = this.aws.ec2Context('AuthorizeSecurityGroupIngress', ref);
    return this.aws.call((abortSignal) => ec2.send(command, { abortSignal }), context, 'once');
  }

  private async revoke(ec2: EC2Client, ref: GroupRef, permissions: IpPermission[]): Promise<Call<RevokeSecurityGroupIngressCommandOutput>> {
    const command = new RevokeSecurityGroupIngressCommand({ GroupId: ref.groupId, IpPermissions: permissions });
    const context = this.aws.ec2Context('RevokeSecurityGroupIngress', ref);
    return this.aws.call((abortSignal) => ec2.send(command, { abortSignal }), context, 'once');
  }

  /** Keys, region, group, the resource's traffic and the addresses, all checked before any call. */
  private inputs(
    secret: CredentialSecret,
    target: ResourceTarget,
    items: Array<{ cidr: string; description?: string }>,
    verb: 'opened' | 'removed' | 'listed',
  ): Inputs {
    const prepared = this.aws.prepare(secret, target);
    if (!prepared.ok) {
      return prepared;
    }
    const spec = trafficSpecOf(target.config ?? {});
    if (!spec.ok) {
      return { ok: false, outcome: fail('PROVIDER_ERROR', spec.reason) };
    }
    const entries = new Map<string, RangeEntry>();
    for (const item of items) {
      const address = parseIngressCidr(item?.cidr);
      if (!address) {
        const shown = String(item?.cidr).slice(0, 64);
        return {
          ok: false,
          outcome: fail(
            'UNSAFE',
            `Only a single address, or a network of at least /8 (IPv4) or /32 (IPv6) with no host bits, can be ${verb}, and "${shown}" is neither.`,
          ),
        };
      }
      if (!entries.has(address.cidr)) {
        entries.set(address.cidr, { address, ...(item.description !== undefined ? { description: item.description } : {}) });
      }
    }
    const { keys, region, groupId } = prepared;
    return { ok: true, ref: { keys, region, groupId }, spec: spec.spec, entries: [...entries.values()] };
  }
}

function addresses(entries: Array<RangeEntry | SlotAddress>): string {
  return entries.length === 1 ? entries[0].address.cidr : `${entries.length} addresses`;
}
