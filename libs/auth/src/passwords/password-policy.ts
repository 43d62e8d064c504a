import { FieldError } from '@app/common';
import { SettingsValues } from '../settings/organization-settings.repository';

export type PasswordPolicy = Pick<
  SettingsValues,
  'passwordMinLength' | 'passwordRequireUppercase' | 'passwordRequireLowercase' | 'passwordRequireDigit' | 'passwordRequireSpecialChar'
>;

/** Passwords are 8 to 128 characters in every case (§10), whatever the policy says. */
export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 128;

/** One rule of a policy: what it says, and whether a password breaks it. */
export interface PasswordRule {
  message: string;
  isBrokenBy(password: string): boolean;
}

/** Length by characters (code points), not UTF-16 units or bytes. */
const characters = (password: string) => Array.from(password).length;

/**
 * The rules of `policy`, in the order they are reported. Letters are judged by Unicode (an
 * upper-case Ä counts), and length by characters, not bytes.
 */
export function passwordRules(policy: PasswordPolicy): PasswordRule[] {
  const minimum = Math.max(PASSWORD_MIN_LENGTH, policy.passwordMinLength);
  const rules: Array<PasswordRule | false> = [
    { message: `must be at least ${minimum} characters long`, isBrokenBy: (p) => characters(p) < minimum },
    { message: `must be at most ${PASSWORD_MAX_LENGTH} characters long`, isBrokenBy: (p) => characters(p) > PASSWORD_MAX_LENGTH },
    policy.passwordRequireUppercase && { message: 'must contain an upper-case letter', isBrokenBy: (p) => !/\p{Lu}/u.test(p) },
    policy.passwordRequireLowercase && { message: 'must contain a lower-case letter', isBrokenBy: (p) => !/\p{Ll}/u.test(p) },
    policy.passwordRequireDigit && { message: 'must contain a digit', isBrokenBy: (p) => !/\p{Nd}/u.test(p) },
    policy.passwordRequireSpecialChar && { message: 'must contain a special character', isBrokenBy: (p) => !/[^\p{L}\p{N}\s]/u.test(p) },
  ];
  return rules.filter((rule): rule is PasswordRule => rule !== false);
}

/**
 * Every rule of the organization's policy that `password` breaks, each as a detail under the
 * request's own field name (`password`, or `newPassword`). Empty when it complies.
 */
export function passwordProblems(password: string, policy: PasswordPolicy, field: string): FieldError[] {
  return passwordRules(policy)
    .filter((rule) => rule.isBrokenBy(password))
    .map((rule) => ({ field, message: rule.message }));
}
