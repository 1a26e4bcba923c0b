// What a password must be (CONTRACT §8): at least 12 characters, not containing the email's local part, and not a
// common password. The common ones are zxcvbn-ts's maintained list (49,233 passwords, long ones such as
// `password1234` and `1q2w3e4r5t6y` among them), compared without regard to case.
import { dictionary } from '@zxcvbn-ts/language-common';

export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 1024;

const COMMON = new Set((dictionary['passwords-common'] as string[]).map((p) => p.toLowerCase()));

/** Which rule a password breaks, first one first; pages turn the code into words in the user's language. */
export type PasswordProblem = 'too_short' | 'too_long' | 'contains_email' | 'common';

export function passwordProblem(password: string, email: string): PasswordProblem | null {
  if ([...password].length < MIN_PASSWORD_LENGTH) return 'too_short';
  if (password.length > MAX_PASSWORD_LENGTH) return 'too_long';
  const local = email.split('@')[0].toLowerCase();
  if (local.length >= 3 && password.toLowerCase().includes(local)) return 'contains_email';
  if (COMMON.has(password.toLowerCase())) return 'common';
  return null;
}

/** How many common passwords are checked against (the README states it). */
export const COMMON_PASSWORDS = COMMON.size;
