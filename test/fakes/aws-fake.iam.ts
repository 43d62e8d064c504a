import type { AwsFakeState } from './aws-fake.state';
import type { Ec2Error } from './aws-fake.ec2';
import { xml } from './aws-fake-server';

export const IAM_NS = 'https://iam.amazonaws.com/doc/2010-05-08/';
export const IAM_ACTIONS = ['ListAccessKeys', 'UpdateAccessKey'];

/**
 * IAM's access-key calls, with IAM's rules: without UserName a call is about the caller's own
 * user; a key of another user or account is NoSuchEntity; Status is Active or Inactive.
 */
export function answerIam(
  state: AwsFakeState,
  callerKeyId: string,
  action: string,
  params: Map<string, string>,
): { xml: string } | Ec2Error {
  const caller = state.accounts.get(callerKeyId)!;
  const userName = params.get('UserName') ?? caller.userName ?? 'fake';
  const keysOfUser = [...state.accounts.entries()].filter(
    ([, account]) => account.accountId === caller.accountId && (account.userName ?? 'fake') === userName,
  );
  if (keysOfUser.length === 0) {
    return { status: 404, code: 'NoSuchEntity', message: `The user with name ${userName} cannot be found.` };
  }
  if (action === 'ListAccessKeys') {
    const members = keysOfUser
      .map(
        ([id, account]) =>
          `<member><UserName>${xml(userName)}</UserName><AccessKeyId>${xml(id)}</AccessKeyId>` +
          `<Status>${account.status ?? 'Active'}</Status><CreateDate>${account.createDate ?? '2024-01-01T00:00:00Z'}</CreateDate></member>`,
      )
      .join('');
    return {
      xml: `<ListAccessKeysResult><UserName>${xml(userName)}</UserName><AccessKeyMetadata>${members}</AccessKeyMetadata><IsTruncated>false</IsTruncated></ListAccessKeysResult>`,
    };
  }
  const keyId = params.get('AccessKeyId') ?? '';
  const status = params.get('Status') ?? '';
  if (status !== 'Active' && status !== 'Inactive') {
    return {
      status: 400,
      code: 'ValidationError',
      message: `1 validation error detected: Value '${status}' at 'status' failed to satisfy constraint`,
    };
  }
  const key = keysOfUser.find(([id]) => id === keyId);
  if (!key) {
    return { status: 404, code: 'NoSuchEntity', message: `The Access Key with id ${keyId} cannot be found.` };
  }
  key[1].status = status;
  return { xml: '' };
}
