/*
 * The token area composed as a login service uses it: an access token for the API, a refresh token to renew it.
 * Attack: a refresh token stolen and replayed after its owner used it ends the whole login for both of them.
 */
import { describe, expect, it } from 'vitest';
import { KeyRing } from '../crypto/keyring.js';
import { createJwtIssuer, createJwtVerifier, JwtKeySet, MemoryRefreshTokenStore, RefreshTokens } from './index.js';

describe('token area: access + refresh', () => {
  it('attack: a replayed refresh token revokes the family, so neither thief nor owner can mint new access tokens', async () => {
    const keys = await JwtKeySet.generate();
    const issuer = createJwtIssuer({ keys, issuer: 'https://id.example', audience: 'api' });
    const verifier = createJwtVerifier({ keys, issuer: 'https://id.example', audience: 'api' });
    const refresh = new RefreshTokens({ store: new MemoryRefreshTokenStore(), ring: KeyRing.generate(), reuseGraceMs: 0 });

    // Renewal is only ever granted on a successful refresh.
    const renew = async (refreshToken: string): Promise<string | undefined> => {
      const grant = await refresh.refresh(refreshToken);
      return grant.ok ? issuer.issueAccessToken({ sub: grant.value.subject }).token : undefined;
    };

    const login = await refresh.issue('user-1');
    const stolen = login.token;
    const ownerGrant = await refresh.refresh(login.token);
    expect(ownerGrant.ok).toBe(true);
    if (!ownerGrant.ok) return;

    expect(await renew(stolen)).toBeUndefined(); // the thief replays: reuse detected
    expect(await renew(ownerGrant.value.token)).toBeUndefined(); // the owner's newer token died with the family

    const fresh = await refresh.issue('user-1'); // a new login starts a new family
    const access = await renew(fresh.token);
    expect(access).toBeDefined();
    expect(verifier.verify(access).ok).toBe(true);
  });
});
