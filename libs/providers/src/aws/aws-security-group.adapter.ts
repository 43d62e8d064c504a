import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import type { ResolvedProvidersOptions } from '../providers.options';
import type {
  AwsAccessKeyData,
  CloudProviderAdapter,
  CredentialSecret,
  IngressRule,
  ProviderOutcome,
  ResourceTarget,
  RuleListOutcome,
} from '../provider.types';
import { fail, succeed, withoutSecrets } from '../shared/provider-outcome.util';
import { AwsApiCaller } from './aws-api.caller';
import { AwsIngressEditor } from './aws-ingress.editor';
import { AwsKeyRevocation } from './aws-key-revocation';

/**
 * AWS security groups: STS to check keys, EC2 to read groups and add or remove ingress rules.
 * Verification retries throttling itself (a few times, with back-off); rule changes make one
 * attempt per call and report what happened, because the engine owns retries and deadlines.
 */
export class AwsSecurityGroupAdapter implements CloudProviderAdapter {
  readonly provider = 'AWS' as const;
  readonly keyRevocation: AwsKeyRevocation;
  private readonly aws: AwsApiCaller;
  private readonly ingress: AwsIngressEditor;

  constructor(options: ResolvedProvidersOptions) {
    this.keyRevocation = new AwsKeyRevocation(options);
    this.aws = new AwsApiCaller(options);
    this.ingress = new AwsIngressEditor(this.aws);
  }

  /** Lets go of the EC2 clients kept for calls (the app is closing). */
  close(): void {
    this.aws.close();
  }

  verifyCredential(secret: CredentialSecret): Promise<ProviderOutcome> {
    return this.guard(secret, () => this.checkKeys(secret));
  }

  verifyResource(secret: CredentialSecret, target: ResourceTarget): Promise<ProviderOutcome> {
    return this.guard(secret, () => this.checkGroup(secret, target));
  }

  applyRules(secret: CredentialSecret, target: ResourceTarget, rules: IngressRule[]): Promise<ProviderOutcome> {
    return this.guard(secret, () => this.ingress.apply(secret, target, rules));
  }

  removeRules(secret: CredentialSecret, target: ResourceTarget, cidrs: string[]): Promise<ProviderOutcome> {
    return this.guard(secret, () => this.ingress.remove(secret, target, cidrs));
  }

  listRules(secret: CredentialSecret, target: ResourceTarget): Promise<RuleListOutcome> {
    return this.guard(secret, () => this.ingress.list(secret, target));
  }

  /** Adapters never throw, and no reason leaves with the secret in it, whatever went wrong. */
  private async guard<T extends ProviderOutcome | RuleListOutcome>(secret: CredentialSecret, work: () => Promise<T>): Promise<T> {
    const data = (secret?.data ?? {}) as Partial<AwsAccessKeyData>;
    let outcome: T;
    try {
      outcome = await work();
    } catch {
      outcome = fail('PROVIDER_ERROR', 'The AWS call failed unexpectedly.') as T;
    }
    return withoutSecrets(outcome, [data.secretAccessKey, data.sessionToken]);
  }

  private async checkKeys(secret: CredentialSecret): Promise<ProviderOutcome> {
    const keys = this.aws.keysOf(secret);
    if (!keys.ok) {
      return keys.outcome;
    }
    const sts = this.aws.stsClient(keys.value);
    try {
      const result = await this.aws.call(
        (abortSignal) => sts.send(new GetCallerIdentityCommand({}), { abortSignal }),
        { action: 'GetCallerIdentity', service: 'sts' },
        'retry',
      );
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
    const prepared = this.aws.prepare(secret, target);
    if (!prepared.ok) {
      return prepared.outcome;
    }
    const found = await this.aws.withEc2Client(prepared.keys, prepared.region, (ec2) => this.aws.describeGroup(ec2, prepared, 'retry'));
    if (!found.ok) {
      return found.outcome;
    }
    const name = found.value.GroupName ? ` (${found.value.GroupName})` : '';
    return succeed(`Security group ${prepared.groupId}${name} exists in ${prepared.region}.`);
  }
}
