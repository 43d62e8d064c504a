import { createHash, randomBytes } from 'node:crypto';
import { TestApp } from '../harness/test-app';
import { orgRows } from './security-harness';

/** The one-time token purposes of user_tokens (§9, §10, §11). */
export type Purpose = 'INVITATION' | 'PASSWORD_RESET' | 'PASSWORD_CHANGE' | 'MFA_CHALLENGE';

export const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** A token of the service's own shape (256 random bits, base64url), known to nobody. */
export const forgedToken = () => randomBytes(32).toString('base64url');

/**
 * A live token of `purpose` for a user, written the way OneTimeTokenService writes one (only its
 * SHA-256 stored): for tokens the API would hand out by other means (a mail, a login answer).
 */
export async function mintToken(t: TestApp, owner: { organizationId: string; userId: string }, purpose: Purpose): Promise<string> {
  const token = forgedToken();
  await t.db.query(
    `INSERT INTO user_tokens (organization_id, user_id, purpose, token_hash, expires_at) VALUES ($1, $2, $3, $4, now() + interval '5 minutes')`,
    [owner.organizationId, owner.userId, purpose, sha256(token)],
  );
  return token;
}

/** Time passes for one token: it expired a second ago. */
export async function expireToken(t: TestApp, token: string): Promise<void> {
  const { rowCount } = await t.db.query(`UPDATE user_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = $1`, [
    sha256(token),
  ]);
  if (rowCount !== 1) throw new Error('expireToken: no such token');
}

/** The same token, damaged the ways a copy, a guess or an attacker damages it; each must be refused. */
export function damagedVariants(token: string): Array<[string, string]> {
  const flip = (c: string) => (c === 'A' ? 'B' : 'A');
  const middle = Math.floor(token.length / 2);
  return [
    ['forged (random, of the right shape)', forgedToken()],
    ['truncated by one character', token.slice(0, -1)],
    ['truncated to half', token.slice(0, middle)],
    ['extended by one character', `${token}A`],
    ['one character changed (first)', flip(token[0]) + token.slice(1)],
    ['one character changed (middle)', token.slice(0, middle) + flip(token[middle]) + token.slice(middle + 1)],
    ['one character changed (last)', token.slice(0, -1) + flip(token[token.length - 1])],
    ['letter case swapped', [...token].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join('')],
    ['padded with =', `${token}=`],
    ['its stored SHA-256 instead of the token', sha256(token)],
  ];
}

/** Rows of each organization (FAILURE audit rows aside), to compare before and after a refusal. */
export async function snapshot(t: TestApp, organizationIds: string[]): Promise<string> {
  const out: unknown[] = [];
  for (const id of organizationIds) out.push(await orgRows(t, id));
  return JSON.stringify(out);
}

/** Table names whose rows differ between two snapshots. */
export function changedTables(before: string, after: string): string[] {
  const [b, a] = [JSON.parse(before) as Array<Record<string, unknown>>, JSON.parse(after) as Array<Record<string, unknown>>];
  return b.flatMap((rows, i) =>
    Object.keys(rows)
      .filter((table) => JSON.stringify(rows[table]) !== JSON.stringify(a[i][table]))
      .map((table) => `${i}:${table}`),
  );
}
