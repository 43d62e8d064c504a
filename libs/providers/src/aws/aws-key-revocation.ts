import { IAMClient, UpdateAccessKeyCommand } from '@aws-sdk/client-iam';
import { GetAccessKeyInfoCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { ResolvedProvidersOptions } from '../providers.options';
import type { AwsAccessKeyData, CredentialSecret, KeyRevocation, RevocationOutcome } from '../provider.types';
import { fail, withoutSecrets, type ProviderFailure } from '../shared/provider-outcome.util';
import { AwsApiCaller, type Call } from './aws-api.caller';

/** IAM and STS are global; us-east-1 signs for both. */
const GLOBAL_SIGNING_REGION = 'us-east-1';

/**
 * Deactivating an AWS access key (§19): `iam:UpdateAccessKey` with `Status=Inactive`, called with
 * keys of the same IAM user (no UserName: IAM then acts on the caller's own user). Temporary
 * keys (with a session token) are not IAM user keys and expire by themselves: refused.
 */
export class AwsKeyRevocation implements KeyRevocation {
  private readonly caller: AwsApiCaller;

  constructor(private readonly options: ResolvedProvidersOptions) {
    this.caller = new AwsApiCaller(options);
  }

  async identify(secret: CredentialSecret): Promise<{ ok: true; account: string; keyId: string } | ProviderFailure> {
    const keys = this.caller.keysOf(secret);
    if (!keys.ok) {
      return keys.outcome;
    }
    const sts = new STSClient(this.caller.clientConfig(keys.value, GLOBAL_SIGNING_REGION));
    try {
      const command = new GetCallerIdentityCommand({});
      const result = await this.caller.call((abortSignal) => sts.send(command, { abortSignal }), stsAction('GetCallerIdentity'), 'retry');
      if (!result.ok) {
        return this.scrub(result.outcome, keys.value);
      }
      return result.value.Account
        ? { ok: true, account: result.value.Account, keyId: keys.value.accessKeyId }
        : fail('PROVIDER_ERROR', 'AWS did not say which account the keys belong to.');
    } finally {
      sts.destroy();
    }
  }

  async accountOfKey(caller: CredentialSecret, revoked: CredentialSecret): Promise<{ ok: true; account: string } | ProviderFailure> {
    const pair = this.keysOfBoth(caller, revoked);
    if (!pair.ok) {
      return pair.outcome;
    }
    const { keys, target } = pair.value;
    const sts = new STSClient(this.caller.clientConfig(keys, GLOBAL_SIGNING_REGION));
    try {
      const command = new GetAccessKeyInfoCommand({ AccessKeyId: target.accessKeyId });
      const result = await this.caller.call((abortSignal) => sts.send(command, { abortSignal }), stsAction('GetAccessKeyInfo'), 'retry');
      if (!result.ok) {
        return this.scrub(result.outcome, keys);
      }
      return result.value.Account
        ? { ok: true, account: result.value.Account }
        : fail('PROVIDER_ERROR', 'AWS did not say which account the old key belongs to.');
    } finally {
      sts.destroy();
    }
  }

  async deactivate(caller: CredentialSecret, revoked: CredentialSecret): Promise<RevocationOutcome> {
    const pair = this.keysOfBoth(caller, revoked);
    if (!pair.ok) {
      return pair.outcome;
    }
    const { keys, target } = pair.value;
    if (target.sessionToken) {
      return fail(
        'UNSUPPORTED',
        'These are temporary AWS keys (with a session token): they expire by themselves and cannot be deactivated.',
      );
    }
    const iam = new IAMClient(
      this.caller.clientConfig(keys, GLOBAL_SIGNING_REGION, this.options.awsIamEndpointUrl ?? this.options.awsEndpointUrl),
    );
    try {
      const command = new UpdateAccessKeyCommand({ AccessKeyId: target.accessKeyId, Status: 'Inactive' });
      const result = await this.caller.call(
        (abortSignal) => iam.send(command, { abortSignal }),
        { action: 'UpdateAccessKey', service: 'iam' },
        'retry',
      );
      return result.ok ? { ok: true, revokedKeyId: target.accessKeyId } : this.scrub(result.outcome, keys, target);
    } finally {
      iam.destroy();
    }
  }

  private scrub(outcome: ProviderFailure, ...keys: AwsAccessKeyData[]): ProviderFailure {
    return withoutSecrets(
      outcome,
      keys.flatMap((k) => [k.secretAccessKey, k.sessionToken]),
    ) as ProviderFailure;
  }

  private keysOfBoth(caller: CredentialSecret, revoked: CredentialSecret): Call<{ keys: AwsAccessKeyData; target: AwsAccessKeyData }> {
    const keys = this.caller.keysOf(caller);
    if (!keys.ok) {
      return keys;
    }
    const target = this.caller.keysOf(revoked);
    return target.ok ? { ok: true, value: { keys: keys.value, target: target.value } } : target;
  }
}

function stsAction(action: string) {
  return { action, service: 'sts' as const };
}
