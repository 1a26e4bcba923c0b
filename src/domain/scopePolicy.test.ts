import { grantableScopes, liveScope, permissionsIn, refusedMachineScopes, requestableScope, scopeValues } from './scopePolicy.js';

describe('scope policy', () => {
  test('consent grants requested ∩ client permissions ∩ membership; identity scopes are free', () => {
    const holder = { clientPermissions: ['a:read', 'b:read'], membership: ['b:read', 'c:read'] };
    expect(grantableScopes(['openid', 'a:read', 'b:read', 'c:read', 'email'], holder)).toEqual(['openid', 'b:read', 'email']);
  });

  test('a user who is no longer a member keeps only identity scopes', () => {
    expect(liveScope('openid b:read', { clientPermissions: ['b:read'], membership: null })).toBe('openid');
  });

  test('a machine token is narrowed to the client permissions only', () => {
    expect(liveScope('a:read b:read offline_access', { clientPermissions: ['b:read'] })).toBe('b:read offline_access');
  });

  test('a user token is narrowed to permissions and membership as they are now', () => {
    expect(liveScope('openid a:read b:read', { clientPermissions: ['a:read', 'b:read'], membership: ['a:read'] })).toBe('openid a:read');
  });

  test('client_credentials refuses what is neither identity nor a permission', () => {
    expect(refusedMachineScopes('openid a:read z:write', ['a:read'])).toEqual(['z:write']);
    expect(refusedMachineScopes(undefined, [])).toEqual([]);
    expect(requestableScope(['a:read'])).toBe('openid profile email offline_access a:read');
  });

  test('scope strings split on spaces; non-strings have no values', () => {
    expect(scopeValues(' a  b ')).toEqual(['a', 'b']);
    expect(scopeValues(['a'])).toEqual([]);
    expect(permissionsIn('openid a:read')).toEqual(['a:read']);
  });
});
