import { FieldError } from '@app/common';
import { SettingsValues } from '../settings/organization-settings.repository';

export type PasswordPolicy = Pick<
  SettingsValues,
  'passwordMinLength' | 'passwordRequireUppercase' | 'passwordRequireLowercase' | 'passwordRequireDigit' | 'passwordRequireSpecialChar'
>;

/** Passwords are 8 to 128 characters in every case (§10), whatever the policy says. */
export const PASSWORD_MAX_LENGTH = 128;

/**
 * Every rule of the organization's policy that `password` breaks, each as a detail under the
 * request's own field name (`password`, or `newPassword`). Empty when it complies. Letters are
 * judged by Unicode (an upper-case Ä counts), and length by characters, not bytes.
 */
export function passwordProblems(password: string, policy: PasswordPolicy, field: string): FieldError[] {
  const problems: string[] = [];
  const length = Array.from(password).length;
  const minimum = Math.max(8, policy.passwordMinLength);
  if (length < minimum) {
    problems.push(`must be at least ${minimum} characters long`);
  }
  if (length > PASSWORD_MAX_LENGTH) {
    problems.push(`must be at most ${PASSWORD_MAX_LENGTH} characters long`);
  }
  if (policy.passwordRequireUppercase && !/\p{Lu}/u.test(password)) {
    problems.push('must contain an upper-case letter');
  }
  if (policy.passwordRequireLowercase && !/\p{Ll}/u.test(password)) {
    problems.push('must contain a lower-case letter');
  }
  if (policy.passwordRequireDigit && !/\p{Nd}/u.test(password)) {
    problems.push('must contain a digit');
  }
  if (policy.passwordRequireSpecialChar && !/[^\p{L}\p{N}\s]/u.test(password)) {
    problems.push('must contain a special character');
  }
  return problems.map((message) => ({ field, message }));
}
