import { chooseConnectionLookup, mustBelongToConnection, redeemedModel } from './connectionChoice.js';

const creds = { clientId: 'c1', secret: 's' };

describe('which connection a request is about', () => {
  test('a presented secret for this client decides', () => {
    expect(chooseConnectionLookup('c1', { route: 'introspection', params: {}, credentials: creds })).toEqual({ by: 'secret', secret: 's', purpose: 'other' });
  });

  test('a code exchange must also own the redirect_uri; client_credentials carries its scope', () => {
    expect(chooseConnectionLookup('c1', {
      route: 'token', params: { grant_type: 'authorization_code', redirect_uri: 'https://a/cb' }, credentials: creds,
    })).toEqual({ by: 'secret', secret: 's', purpose: 'code_exchange', redirectUri: 'https://a/cb' });
    expect(chooseConnectionLookup('c1', {
      route: 'token', params: { grant_type: 'client_credentials', scope: 'x:y' }, credentials: creds,
    })).toEqual({ by: 'secret', secret: 's', purpose: 'machine', scope: 'x:y' });
  });

  test("another client's credentials do not count", () => {
    expect(chooseConnectionLookup('c2', { route: 'token', params: {}, credentials: creds })).toEqual({ by: 'client' });
  });

  test('the authorization endpoint (and its resume) chooses by redirect_uri', () => {
    const params = { client_id: 'c1', redirect_uri: 'https://a/cb' };
    expect(chooseConnectionLookup('c1', { route: 'authorization', params, credentials: null })).toEqual({ by: 'redirect_uri', redirectUri: 'https://a/cb' });
    expect(chooseConnectionLookup('c1', { route: 'resume', params, credentials: null })).toEqual({ by: 'redirect_uri', redirectUri: 'https://a/cb' });
    expect(chooseConnectionLookup('c1', { route: 'authorization', params: { client_id: 'c1' }, credentials: null })).toEqual({ by: 'client' });
  });

  test('anything else gets the client without a credential', () => {
    expect(chooseConnectionLookup('c1', { route: 'userinfo', params: {}, credentials: null })).toEqual({ by: 'client' });
  });

  test('binding: codes and refresh tokens at the token endpoint, every issued token at revocation', () => {
    expect(mustBelongToConnection('token', 'AuthorizationCode')).toBe(true);
    expect(mustBelongToConnection('token', 'AccessToken')).toBe(false);
    expect(mustBelongToConnection('revocation', 'AccessToken')).toBe(true);
    expect(mustBelongToConnection('introspection', 'AccessToken')).toBe(false);
    expect(redeemedModel('token', { grant_type: 'refresh_token' })).toBe('RefreshToken');
    expect(redeemedModel('token', { grant_type: 'client_credentials' })).toBeUndefined();
  });
});
