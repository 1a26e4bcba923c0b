import { Secrets } from './secrets.js';

const secrets = new Secrets('a-pepper-of-at-least-thirty-two-characters');

test('a sealed value opens only with the same pepper and purpose, and not once tampered with', () => {
  const sealed = secrets.seal('totp-key', 'JBSWY3DPEHPK3PXP');
  expect(sealed).toMatch(/^v1\./);
  expect(sealed).not.toContain('JBSWY3DPEHPK3PXP');
  expect(secrets.unseal('totp-key', sealed)).toBe('JBSWY3DPEHPK3PXP');
  expect(secrets.seal('totp-key', 'JBSWY3DPEHPK3PXP')).not.toBe(sealed); // a fresh IV each time
  expect(secrets.unseal('sign-in-challenge', sealed)).toBeNull();
  expect(new Secrets('another-pepper-of-at-least-thirty-two-chars').unseal('totp-key', sealed)).toBeNull();
  const [v, iv, tag, body] = sealed.split('.');
  const flipped = `${body[0] === 'A' ? 'B' : 'A'}${body.slice(1)}`;
  expect(secrets.unseal('totp-key', [v, iv, tag, flipped].join('.'))).toBeNull();
  for (const junk of [undefined, null, '', 'v1', 'v1.a.b', 'v2.a.b.c', 42]) expect(secrets.unseal('totp-key', junk)).toBeNull();
});
