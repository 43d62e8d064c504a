import { DescribeSecurityGroupsCommand, EC2Client, type SecurityGroup } from '@aws-sdk/client-ec2';
import { STSClient } from '@aws-sdk/client-sts';
import type { ResolvedProvidersOptions } from '../providers.options';
import type { AwsAccessKeyData, CredentialSecret, ResourceTarget } from '../provider.types';
import { fail, sleep, type ProviderFailure } from '../shared/provider-outcome.util';
import { mapAwsError, type AwsCallContext } from './aws-error.mapper';
import { Ec2ClientCache } from './ec2-client.cache';

/** STS is global; any commercial region signs for it and us-east-1 always exists. */
const STS_SIGNING_REGION = 'us-east-1';
const REGION_PATTERN = /^[a-z]{2,4}(-[a-z]+)+-\d{1,2}$/;

export type Call<T> = { ok: true; value: T } | { ok: false; outcome: ProviderFailure; code?: string };

/** A security group to call about, with the keys to call with. */
export interface GroupRef {
  keys: AwsAccessKeyData;
  region: string;
  groupId: string;
}
export type Prepared = ({ ok: true } & GroupRef) | { ok: false; outcome: ProviderFailure };

/**
 * How a throttled call is treated. Verification retries throttling a few times itself (nothing
 * above it retries); rule changes make one attempt and leave retries to the engine.
 */
export type ThrottlePolicy = 'retry' | 'once';

type CallContext = Omit<AwsCallContext, 'timeoutMs' | 'attempts'>;

/** The plumbing every AWS call shares: checking inputs, building clients, one call with a timeout. */
export class AwsApiCaller {
  private readonly ec2Clients = new Ec2ClientCache((keys, region) => new EC2Client(this.clientConfig(keys, region)));

  constructor(private readonly options: ResolvedProvidersOptions) {}

  get timeoutMs(): number {
    return this.options.timeoutMs;
  }

  /**
   * One AWS call with the only retry policy in play (the SDK's own is off): under 'retry',
   * throttling is retried with doubling back-off; everything else ends the call at once.
   */
  async call<T>(send: (abortSignal: AbortSignal) => Promise<T>, context: CallContext, throttle: ThrottlePolicy): Promise<Call<T>> {
    const { timeoutMs, retryBaseDelayMs } = this.options;
    const retries = throttle === 'retry' ? this.options.throttleRetries : 0;
    for (let attempt = 1; ; attempt++) {
      try {
        return { ok: true, value: await send(AbortSignal.timeout(timeoutMs)) };
      } catch (error) {
        const mapped = mapAwsError(error, { ...context, timeoutMs, attempts: attempt });
        if (!mapped.retryable || attempt > retries) {
          return { ok: false, outcome: mapped.outcome, code: mapped.code };
        }
        await sleep(retryBaseDelayMs * 2 ** (attempt - 1));
      }
    }
  }

  async describeGroup(ec2: EC2Client, ref: GroupRef, throttle: ThrottlePolicy): Promise<Call<SecurityGroup>> {
    const command = new DescribeSecurityGroupsCommand({ GroupIds: [ref.groupId] });
    const context = this.ec2Context('DescribeSecurityGroups', ref);
    const result = await this.call((abortSignal) => ec2.send(command, { abortSignal }), context, throttle);
    if (!result.ok) {
      return result;
    }
    const group = result.value.SecurityGroups?.find((g) => g.GroupId === ref.groupId);
    return group
      ? { ok: true, value: group }
      : { ok: false, outcome: mapAwsError({ name: 'InvalidGroup.NotFound' }, { ...context, timeoutMs: 0, attempts: 1 }).outcome };
  }

  ec2Context(action: string, ref: GroupRef): CallContext {
    return { action, service: 'ec2', groupId: ref.groupId, region: ref.region };
  }

  prepare(secret: CredentialSecret, target: ResourceTarget): Prepared {
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

  keysOf(secret: CredentialSecret): Call<AwsAccessKeyData> {
    if (secret?.provider !== 'AWS' || !secret.data?.accessKeyId || !secret.data?.secretAccessKey) {
      return { ok: false, outcome: fail('INVALID_CREDENTIALS', 'The credential is not a complete AWS access key.') };
    }
    return { ok: true, value: secret.data };
  }

  stsClient(keys: AwsAccessKeyData): STSClient {
    return new STSClient(this.clientConfig(keys, STS_SIGNING_REGION));
  }

  /** Runs `work` with the EC2 client for these keys and region, kept between calls (Ec2ClientCache). */
  withEc2Client<T>(keys: AwsAccessKeyData, region: string, work: (ec2: EC2Client) => Promise<T>): Promise<T> {
    return this.ec2Clients.use(keys, region, work);
  }

  /** Destroys the kept clients (the app is closing). */
  close(): void {
    this.ec2Clients.clear();
  }

  /**
   * Clients are per call because keys are per call; nothing from the environment is trusted for
   * them. `endpoint` overrides AWS_ENDPOINT_URL (IAM has an endpoint setting of its own).
   */
  clientConfig(keys: AwsAccessKeyData, region: string, endpoint: string | undefined = this.options.awsEndpointUrl) {
    const { timeoutMs } = this.options;
    return {
      region,
      credentials: {
        accessKeyId: keys.accessKeyId,
        secretAccessKey: keys.secretAccessKey,
        ...(keys.sessionToken ? { sessionToken: keys.sessionToken } : {}),
      },
      maxAttempts: 1,
      requestHandler: { connectionTimeout: timeoutMs, requestTimeout: timeoutMs, throwOnRequestTimeout: true },
      ...(endpoint ? { endpoint } : {}),
    };
  }
}
