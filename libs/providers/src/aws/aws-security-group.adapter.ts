import {
  AuthorizeSecurityGroupIngressCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  RevokeSecurityGroupIngressCommand,
  type IpPermission,
  type SecurityGroup,
} from '@aws-sdk/client-ec2';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { ResolvedProvidersOptions } from '../providers.options';
import type {
  AwsAccessKeyData,
  CloudProviderAdapter,
  CredentialSecret,
  IngressRule,
  ProviderOutcome,
  ResourceTarget,
} from '../provider.types';
import { parseSingleAddressCidr } from '../shared/ingress-cidr.util';
import { fail, sleep, succeed, withoutSecrets, type ProviderFailure } from '../shared/provider-outcome.util';
import { mapAwsError, type AwsCallContext } from './aws-error.mapper';
import { buildIpPermissions, groupHasPermission } from './aws-ip-permissions.builder';
import { AwsKeyRevocation } from './aws-key-revocation';

/** STS is global; any commercial region signs for it and us-east-1 always exists. */
const STS_SIGNING_REGION = 'us-east-1';
const REGION_PATTERN = /^[a-z]{2,4}(-[a-z]+)+-\d{1,2}$/;

type Call<T> = { ok: true; value: T } | { ok: false; outcome: ProviderFailure; code?: string };
type Prepared = { ok: true; keys: AwsAccessKeyData; region: string; groupId: string } | { ok: false; outcome: ProviderFailure };

export class AwsSecurityGroupAdapter implements CloudProviderAdapter {
  readonly provider = 'AWS' as const;
  readonly keyRevocation: AwsKeyRevocation;

  constructor(private readonly options: ResolvedProvidersOptions) {
    this.keyRevocation = new AwsKeyRevocation(options);
  }

  verifyCredential(secret: CredentialSecret): Promise<ProviderOutcome> {
    return this.guard(secret, () => this.checkKeys(secret));
  }

  verifyResource(secret: CredentialSecret, target: ResourceTarget): Promise<ProviderOutcome> {
    return this.guard(secret, () => this.checkGroup(secret, target));
  }

  authorizeIngress(secret: CredentialSecret, target: ResourceTarget, rule: IngressRule): Promise<ProviderOutcome> {
    return this.guard(secret, () => this.addRule(secret, target, rule));
  }

  revokeIngress(secret: CredentialSecret, target: ResourceTarget, rule: IngressRule): Promise<ProviderOutcome> {
    return this.guard(secret, () => this.removeRule(secret, target, rule));
  }

  /** Adapters never throw, and no reason leaves with the secret in it, whatever went wrong. */
  private async guard(secret: CredentialSecret, work: () => Promise<ProviderOutcome>): Promise<ProviderOutcome> {
    const data = (secret?.data ?? {}) as Partial<AwsAccessKeyData>;
    let outcome: ProviderOutcome;
    try {
      outcome = await work();
    } catch {
      outcome = fail('PROVIDER_ERROR', 'The AWS call failed unexpectedly.');
    }
    return withoutSecrets(outcome, [data.secretAccessKey, data.sessionToken]);
  }

  private async checkKeys(secret: CredentialSecret): Promise<ProviderOutcome> {
    const keys = this.keysOf(secret);
    if (!keys.ok) {
      return keys.outcome;
    }
    const sts = this.stsClient(keys.value);
    try {
      const result = await this.call((abortSignal) => sts.send(new GetCallerIdentityCommand({}), { abortSignal }), {
        action: 'GetCallerIdentity',
        service: 'sts',
      });
      if (!result.ok) {
        return result.outcome;
      }
      const account = result.value.Account;
      return succeed(account ? `The keys work for AWS account ${account}.` : 'The keys work.');
    } finally {
      sts.destroy();
    }
  }

  private async checkGroup(secret: CredentialSecret, target: ResourceTarget): Promise<ProviderOutcome> {
    const prepared = this.prepare(secret, target);
    if (!prepared.ok) {
      return prepared.outcome;
    }
    const ec2 = this.ec2Client(prepared.keys, prepared.region);
    try {
      const found = await this.describeGroup(ec2, prepared);
      if (!found.ok) {
        return found.outcome;
      }
      const name = found.value.GroupName ? ` (${found.value.GroupName})` : '';
      return succeed(`Security group ${prepared.groupId}${name} exists in ${prepared.region}.`);
    } finally {
      ec2.destroy();
    }
  }

  private async addRule(secret: CredentialSecret, target: ResourceTarget, rule: IngressRule): Promise<ProviderOutcome> {
    const prepared = this.prepare(secret, target);
    if (!prepared.ok) {
      return prepared.outcome;
    }
    const permissions = this.permissionsFor(target, rule);
    if (!permissions.ok) {
      return permissions.outcome;
    }
    const ec2 = this.ec2Client(prepared.keys, prepared.region);
    try {
      let outcome = await this.authorize(ec2, prepared, permissions.value);
      // EC2 rejects the whole call if any one permission exists; add the others one by one.
      if (outcome === 'duplicate' && permissions.value.length > 1) {
        for (const permission of permissions.value) {
          outcome = await this.authorize(ec2, prepared, [permission]);
          if (outcome !== 'added' && outcome !== 'duplicate') {
            break;
          }
        }
      }
      if (outcome === 'added' || outcome === 'duplicate') {
        return succeed(`${rule.cidr} may now reach ${prepared.groupId}.`);
      }
      return outcome;
    } finally {
      ec2.destroy();
    }
  }

  private async removeRule(secret: CredentialSecret, target: ResourceTarget, rule: IngressRule): Promise<ProviderOutcome> {
    const prepared = this.prepare(secret, target);
    if (!prepared.ok) {
      return prepared.outcome;
    }
    const permissions = this.permissionsFor(target, rule);
    if (!permissions.ok) {
      return permissions.outcome;
    }
    const ec2 = this.ec2Client(prepared.keys, prepared.region);
    try {
      const outcome = await this.revoke(ec2, prepared, permissions.value);
      return outcome.ok ? succeed(`${rule.cidr} no longer reaches ${prepared.groupId}.`) : outcome;
    } finally {
      ec2.destroy();
    }
  }

  private async authorize(
    ec2: EC2Client,
    prepared: Extract<Prepared, { ok: true }>,
    permissions: IpPermission[],
  ): Promise<'added' | 'duplicate' | ProviderFailure> {
    const command = new AuthorizeSecurityGroupIngressCommand({ GroupId: prepared.groupId, IpPermissions: permissions });
    const context = this.ec2Context('AuthorizeSecurityGroupIngress', prepared);
    const result = await this.call((abortSignal) => ec2.send(command, { abortSignal }), context);
    if (result.ok) {
      return 'added';
    }
    return result.code === 'InvalidPermission.Duplicate' ? 'duplicate' : result.outcome;
  }

  private async revoke(ec2: EC2Client, prepared: Extract<Prepared, { ok: true }>, permissions: IpPermission[]): Promise<ProviderOutcome> {
    const command = new RevokeSecurityGroupIngressCommand({ GroupId: prepared.groupId, IpPermissions: permissions });
    const context = this.ec2Context('RevokeSecurityGroupIngress', prepared);
    const result = await this.call((abortSignal) => ec2.send(command, { abortSignal }), context);
    if (!result.ok) {
      return result.code === 'InvalidPermission.NotFound' ? succeed() : result.outcome;
    }
    // Unknown permissions are ones the group did not hold: already absent, which is the goal.
    // A bare Return=false explains nothing, so look at the group before calling it done.
    if (result.value.Return !== false || (result.value.UnknownIpPermissions?.length ?? 0) > 0) {
      return succeed();
    }
    const group = await this.describeGroup(ec2, prepared);
    if (!group.ok) {
      return group.outcome;
    }
    const stillThere = permissions.some((permission) => groupHasPermission(group.value, permission));
    return stillThere
      ? fail('PROVIDER_ERROR', `AWS did not revoke the rule from ${prepared.groupId}, and it is still present.`)
      : succeed();
  }

  private async describeGroup(ec2: EC2Client, prepared: Extract<Prepared, { ok: true }>): Promise<Call<SecurityGroup>> {
    const command = new DescribeSecurityGroupsCommand({ GroupIds: [prepared.groupId] });
    const context = this.ec2Context('DescribeSecurityGroups', prepared);
    const result = await this.call((abortSignal) => ec2.send(command, { abortSignal }), context);
    if (!result.ok) {
      return result;
    }
    const group = result.value.SecurityGroups?.find((g) => g.GroupId === prepared.groupId);
    return group
      ? { ok: true, value: group }
      : { ok: false, outcome: mapAwsError({ name: 'InvalidGroup.NotFound' }, { ...context, timeoutMs: 0, attempts: 1 }).outcome };
  }

  /**
   * One AWS call with the only retry policy in play (the SDK's own is off): throttling is retried
   * with doubling back-off, everything else ends the call at once.
   */
  private async call<T>(
    send: (abortSignal: AbortSignal) => Promise<T>,
    context: Omit<AwsCallContext, 'timeoutMs' | 'attempts'>,
  ): Promise<Call<T>> {
    const { timeoutMs, throttleRetries, retryBaseDelayMs } = this.options;
    for (let attempt = 1; ; attempt++) {
      try {
        return { ok: true, value: await send(AbortSignal.timeout(timeoutMs)) };
      } catch (error) {
        const mapped = mapAwsError(error, { ...context, timeoutMs, attempts: attempt });
        if (!mapped.retryable || attempt > throttleRetries) {
          return { ok: false, outcome: mapped.outcome, code: mapped.code };
        }
        await sleep(retryBaseDelayMs * 2 ** (attempt - 1));
      }
    }
  }

  private ec2Context(action: string, prepared: Extract<Prepared, { ok: true }>) {
    return { action, service: 'ec2' as const, groupId: prepared.groupId, region: prepared.region };
  }

  private prepare(secret: CredentialSecret, target: ResourceTarget): Prepared {
    const keys = this.keysOf(secret);
    if (!keys.ok) {
      return keys;
    }
    const region = target.region?.trim();
    if (!region || !REGION_PATTERN.test(region)) {
      return {
        ok: false,
        outcome: fail('PROVIDER_ERROR', `An AWS security group needs a valid region; "${target.region ?? ''}" is not one.`),
      };
    }
    const groupId = target.resourceIdentifier?.trim();
    if (!groupId) {
      return { ok: false, outcome: fail('NOT_FOUND', 'The resource has no security group id.') };
    }
    return { ok: true, keys: keys.value, region, groupId };
  }

  private permissionsFor(target: ResourceTarget, rule: IngressRule): Call<IpPermission[]> {
    const address = parseSingleAddressCidr(rule.cidr);
    if (!address) {
      return {
        ok: false,
        outcome: fail('UNSAFE', `Only a single address (/32 or /128) can be opened, and "${rule.cidr}" is not one.`),
      };
    }
    const built = buildIpPermissions(target.config ?? {}, address, rule.description);
    return built.ok ? { ok: true, value: built.permissions } : { ok: false, outcome: fail('PROVIDER_ERROR', built.reason) };
  }

  private keysOf(secret: CredentialSecret): Call<AwsAccessKeyData> {
    if (secret?.provider !== 'AWS' || !secret.data?.accessKeyId || !secret.data?.secretAccessKey) {
      return { ok: false, outcome: fail('INVALID_CREDENTIALS', 'The credential is not a complete AWS access key.') };
    }
    return { ok: true, value: secret.data };
  }

  /** Clients are per call because keys are per call; nothing from the environment is trusted for them. */
  private clientConfig(keys: AwsAccessKeyData, region: string) {
    const { timeoutMs, awsEndpointUrl } = this.options;
    return {
      region,
      credentials: {
        accessKeyId: keys.accessKeyId,
        secretAccessKey: keys.secretAccessKey,
        ...(keys.sessionToken ? { sessionToken: keys.sessionToken } : {}),
      },
      maxAttempts: 1,
      requestHandler: { connectionTimeout: timeoutMs, requestTimeout: timeoutMs, throwOnRequestTimeout: true },
      ...(awsEndpointUrl ? { endpoint: awsEndpointUrl } : {}),
    };
  }

  private stsClient(keys: AwsAccessKeyData): STSClient {
    return new STSClient(this.clientConfig(keys, STS_SIGNING_REGION));
  }

  private ec2Client(keys: AwsAccessKeyData, region: string): EC2Client {
    return new EC2Client(this.clientConfig(keys, region));
  }
}
