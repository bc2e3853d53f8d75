/**
 * `npm run tour`: a tour of what @rampart/core gives today, run end to end on this machine with no service to start.
 * Each step shows a control working and an attack on it failing.
 */
import { BlindIndex, FieldCipher, KeyRing, randomToken } from '@rampart/core/crypto';
import { createPasswordHasher } from '@rampart/core/password';
import { createJwtIssuer, createJwtVerifier, JwtKeySet, MemoryRefreshTokenStore, RefreshTokens } from '@rampart/core/token';
import { MemoryTotpReplayStore, Totp } from '@rampart/core/mfa';
import { createSessionManager, MemorySessionStore } from '@rampart/core/session';
import { serializeCookie } from '@rampart/core/http';

function step(title: string, ...lines: string[]): void {
  process.stdout.write(`\n• ${title}\n${lines.map((line) => `    ${line}\n`).join('')}`);
}
const verdict = (result: { ok: boolean; reason?: string }): string => (result.ok ? 'accepted' : `refused (${result.reason ?? ''})`);

const ring = KeyRing.generate({ name: 'demo' });

step('random token', `${randomToken()}  (256 bits from the OS CSPRNG)`);

const cipher = new FieldCipher(ring);
const place = { table: 'users', column: 'ssn', row: 42 };
const envelope = cipher.encrypt('123-45-6789', place);
step(
  'field encryption (AES-256-GCM, bound to its row)',
  `stored: ${envelope}`,
  `attack — ciphertext copied to row 43: ${verdict(cipher.tryDecrypt(envelope, { ...place, row: 43 }))}`,
  `blind index for equality search: ${new BlindIndex(ring, { column: 'users.email' }).compute('alice@example.com')}`,
);

const passwords = createPasswordHasher({ pepper: ring });
const stored = await passwords.hash('correct horse battery staple');
step(
  'password storage (Argon2id, m=19 MiB, t=2, p=1, peppered)',
  `stored: ${stored.slice(0, 60)}…`,
  `right password: ${verdict(await passwords.verify(stored, 'correct horse battery staple'))}`,
  `wrong password: ${verdict(await passwords.verify(stored, 'Tr0ub4dor&3'))}`,
  `a 1 MiB password: ${verdict(await passwords.verify(stored, 'x'.repeat(1 << 20)))} — never reaches the hasher`,
);

const keys = await JwtKeySet.generate();
const issuer = createJwtIssuer({ keys, issuer: 'https://id.example', audience: 'api' });
const verifier = createJwtVerifier({ keys, issuer: 'https://id.example', audience: 'api' });
const { token } = issuer.issueAccessToken({ sub: 'user-42', scope: 'orders:read' });
const [, payload] = token.split('.');
const forged = `${Buffer.from('{"alg":"none","typ":"at+jwt"}').toString('base64url')}.${payload ?? ''}.`;
step(
  'JWT (EdDSA, RFC 9068 access token)',
  `issued: ${token.slice(0, 60)}…`,
  `verify: ${verdict(verifier.verify(token))}`,
  `attack — same claims with alg "none": ${verdict(verifier.verify(forged))}`,
);

const refresh = new RefreshTokens({ store: new MemoryRefreshTokenStore(), ring, reuseGraceMs: 0 });
const login = await refresh.issue('user-42');
const rotated = await refresh.refresh(login.token);
step(
  'refresh-token rotation with reuse detection',
  `first refresh: ${verdict(rotated)}`,
  `attack — the old token replayed: ${verdict(await refresh.refresh(login.token))}`,
  `the legitimate successor afterwards: ${rotated.ok ? verdict(await refresh.refresh(rotated.value.token)) : 'n/a'} — the family is revoked`,
);

const totp = new Totp({ issuer: 'Demo', replayStore: new MemoryTotpReplayStore() });
const enrollment = await totp.enroll({ label: 'alice@example.com' });
const code = totp.generate(enrollment.secret);
step(
  'TOTP (RFC 6238)',
  `enrollment URI: ${enrollment.uri.replace(/secret=[^&]+/, 'secret=…')}`,
  `code ${code}: ${verdict(await totp.verify({ subject: 'alice', secret: enrollment.secret, code }))}`,
  `attack — the same code replayed: ${verdict(await totp.verify({ subject: 'alice', secret: enrollment.secret, code }))}`,
);

const sessions = createSessionManager({ store: new MemorySessionStore() });
const planted = await sessions.create();
const afterLogin = await sessions.login(planted.id, 'user-42');
step(
  'sessions (fixation defence)',
  `id before login differs from id after: ${String(afterLogin.ok && afterLogin.value.id !== planted.id)}`,
  `attack — the planted pre-login id after login: ${verdict(await sessions.validate(planted.id))}`,
  afterLogin.ok ? `cookie: ${serializeCookie('sid', afterLogin.value.id).replace(/=[^;]+/, '=…')}` : '',
);
process.stdout.write('\nEach control has its README under packages/core/src/<area>/. Run `npm test` for the attack tests.\n');
