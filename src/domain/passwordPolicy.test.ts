import { COMMON_PASSWORDS, passwordProblem } from './passwordPolicy.js';

describe('password policy (CONTRACT §8)', () => {
  test('at least 12 characters (counted as characters, not UTF-16 units)', () => {
    expect(passwordProblem('short-pass1', 'a@b.example')).toBe('too_short');
    expect(passwordProblem('довгий-пароль', 'a@b.example')).toBeNull();
  });

  test("not the email's local part, in any case", () => {
    expect(passwordProblem('xx-Ivan.Petrenko-2026', 'ivan.petrenko@clinic.example')).toBe('contains_email');
  });

  test('not a common password, long ones included, from a list of at least 40,000', () => {
    expect(COMMON_PASSWORDS).toBeGreaterThanOrEqual(40_000);
    for (const common of ['password1234', '1q2w3e4r5t6y', 'PASSWORD1234']) expect(passwordProblem(common, 'x@y.example')).toBe('common');
  });

  test('a good one passes', () => {
    expect(passwordProblem('correct horse battery staple', 'nurse@clinic.example')).toBeNull();
  });
});
