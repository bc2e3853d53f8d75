import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { redactText, redactTextEveryPass } from './secret-shapes.js';

// redactText skips the shape and pair passes when a pre-filter says none can match. A pre-filter that misses a case
// would let a secret through, so the skipping version must equal the one that runs every pass, on strings built to sit
// near every rule's edges: case changes, the characters the lookarounds test, separators, partial prefixes.

const pieces = [
  'eyJhbGciOiJIUzI1NiJ9', '.', 'eyJzdWIiOiIxIn0', 'AKIA', 'akia', 'ASIA', 'ABCDEFGHIJKLMNOP', '0123456789', 'x', 'X', '_',
  '-', 'ghp_', 'github_pat_', 'xoxb-', 'sk_live_', 'rk_test_', 'AIza', 'npm_', 'Bearer ', 'bearer\t', 'BASIC ', 'Basic ',
  'dXNlcjpwYXNz', 'https://', 'postgres://u', ':', '@', '=', 'password', 'token', 'apiKey', ' ', '"', "'", '&', '\n',
  '-----BEGIN ', 'RSA ', 'PRIVATE KEY-----', '-----END PRIVATE KEY-----', 'rk_', 'tok_', 'a'.repeat(20), 'Zz9'.repeat(11),
  '4111 1111 1111 1111', '4242424242424242', 'é', '\u00e9\u0301',
];

describe('redactText pre-filters', () => {
  it('never change the result: the filtered and the every-pass redaction agree', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constantFrom(...pieces), fc.string({ maxLength: 6 }), fc.stringMatching(/^[A-Za-z0-9]{16,40}$/)), { maxLength: 12 }), (parts) => {
        const text = parts.join('');
        expect(redactText(text)).toBe(redactTextEveryPass(text));
      }),
      { numRuns: 3000 },
    );
  });

  it('still redact each shape when it is the only thing in the string', () => {
    for (const secret of ['AKIAABCDEFGHIJKLMNOP', 'ghp_' + 'a1'.repeat(18), 'Bearer abc.def', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig', 'https://u:pw@host/x', 'password=hunter2']) {
      expect(redactText(secret)).not.toBe(secret);
    }
  });
});
