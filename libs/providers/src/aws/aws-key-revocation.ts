import { IAMClient, UpdateAccessKeyCommand } from '@aws-sdk/client-iam';
import { GetAccessKeyInfoCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { ResolvedProvidersOptions } from '../providers.options';
import type { AwsAccessKeyData, CredentialSecret, KeyRevocation, RevocationOutcome } from '../provider.types';
import { fail, sleep, withoutSecrets, type ProviderFailure } from '../shared/provider-outcome.util';
import { mapAwsError, type AwsCallContext } from './aws-error.mapper';

/** IAM and STS are global; us-east-1 signs for both. */
const GLOBAL_SIGNING_REGION = 'us-east-1';

type Keys = { ok: true; keys: AwsAccessKeyData } | { ok: false; outcome: ProviderFailure };

/**
 * Deactivating an AWS access key (§19): `iam:UpdateAccessKey` with `Status=Inactive`, called with
 * keys of the same IAM user (no UserName: IAM then acts on the caller's own user). Temporary
 * keys (with a session token) are not IAM user keys and expire by themselves: refused.
 */
export class AwsKeyRevocation implements KeyRevocation {
  constructor(private readonly options: ResolvedProvidersOptions) {}

  async identify(secret: CredentialSecret): Promise<{ ok: true; account: string; keyId: string } | ProviderFailure> {
    const keys = keysOf(secret);
    if (!keys.ok) {
      return keys.outcome;
    }
    const sts = new STSClient(this.clientConfig(keys.keys, this.options.awsEndpointUrl));
    try {
      const result = await this.call(() => sts.send(new GetCallerIdentityCommand({})), { action: 'GetCallerIdentity', service: 'sts' });
      if (!result.ok) {
        return this.scrub(result.outcome, keys.keys);
      }
      return result.value.Account
        ? { ok: true, account: result.value.Account, keyId: keys.keys.accessKeyId }
        : fail('PROVIDER_ERROR', 'AWS did not say which account the keys belong to.');
    } finally {
      sts.destroy();
    }
  }

  async accountOfKey(caller: CredentialSecret, revoked: CredentialSecret): Promise<{ ok: true; account: string } | ProviderFailure> {
    const keys = keysOf(caller);
    const target = keysOf(revoked);
    if (!keys.ok || !target.ok) {
      return (!keys.ok ? keys : (target as Extract<Keys, { ok: false }>)).outcome;
    }
    const sts = new STSClient(this.clientConfig(keys.keys, this.options.awsEndpointUrl));
    try {
      const command = new GetAccessKeyInfoCommand({ AccessKeyId: target.keys.accessKeyId });
      const result = await this.call(() => sts.send(command), { action: 'GetAccessKeyInfo', service: 'sts' });
      if (!result.ok) {
        return this.scrub(result.outcome, keys.keys);
      }
      return result.value.Account
        ? { ok: true, account: result.value.Account }
        : fail('PROVIDER_ERROR', 'AWS did not say which account the old key belongs to.');
    } finally {
      sts.destroy();
    }
  }

  async deactivate(caller: CredentialSecret, revoked: CredentialSecret): Promise<RevocationOutcome> {
    const keys = keysOf(caller);
    const target = keysOf(revoked);
    if (!keys.ok || !target.ok) {
      return (!keys.ok ? keys : (target as Extract<Keys, { ok: false }>)).outcome;
    }
    if (target.keys.sessionToken) {
      return fail(
        'UNSUPPORTED',
        'These are temporary AWS keys (with a session token): they expire by themselves and cannot be deactivated.',
      );
    }
    const iam = new IAMClient(this.clientConfig(keys.keys, this.options.awsIamEndpointUrl ?? this.options.awsEndpointUrl));
    try {
      const command = new UpdateAccessKeyCommand({ AccessKeyId: target.keys.accessKeyId, Status: 'Inactive' });
      const result = await this.call(() => iam.send(command), { action: 'UpdateAccessKey', service: 'iam' });
      return result.ok ? { ok: true, revokedKeyId: target.keys.accessKeyId } : this.scrub(result.outcome, keys.keys, target.keys);
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

  /** Throttling is retried with doubling back-off; anything else ends the call. */
  private async call<T>(
    send: () => Promise<T>,
    context: Pick<AwsCallContext, 'action' | 'service'>,
  ): Promise<{ ok: true; value: T } | { ok: false; outcome: ProviderFailure }> {
    const { timeoutMs, throttleRetries, retryBaseDelayMs } = this.options;
    for (let attempt = 1; ; attempt++) {
      try {
        return { ok: true, value: await send() };
      } catch (error) {
        const mapped = mapAwsError(error, { ...context, timeoutMs, attempts: attempt });
        if (!mapped.retryable || attempt > throttleRetries) {
          return { ok: false, outcome: mapped.outcome };
        }
        await sleep(retryBaseDelayMs * 2 ** (attempt - 1));
      }
    }
  }

  private clientConfig(keys: AwsAccessKeyData, endpoint: string | undefined) {
    const { timeoutMs } = this.options;
    return {
      region: GLOBAL_SIGNING_REGION,
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

function keysOf(secret: CredentialSecret): Keys {
  if (secret?.provider !== 'AWS' || !secret.data?.accessKeyId || !secret.data?.secretAccessKey) {
    return { ok: false, outcome: fail('INVALID_CREDENTIALS', 'The credential is not a complete AWS access key.') };
  }
  return { ok: true, keys: secret.data };
}
