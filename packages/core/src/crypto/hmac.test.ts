import { describe, expect, it } from 'vitest';
import { hmacSha256 } from './hmac.js';

// RFC 4231 §4: HMAC-SHA-256 test vectors (test case 5 is compared on its 128-bit truncation, as the RFC specifies).
const vectors: { name: string; key: Buffer; data: Buffer; expected: string }[] = [
  { name: 'case 1', key: Buffer.alloc(20, 0x0b), data: Buffer.from('Hi There'), expected: 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7' },
  { name: 'case 2', key: Buffer.from('Jefe'), data: Buffer.from('what do ya want for nothing?'), expected: '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843' },
  { name: 'case 3', key: Buffer.alloc(20, 0xaa), data: Buffer.alloc(50, 0xdd), expected: '773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe' },
  {
    name: 'case 4',
    key: Buffer.from(Array.from({ length: 25 }, (_, i) => i + 1)),
    data: Buffer.alloc(50, 0xcd),
    expected: '82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b',
  },
  { name: 'case 5 (truncated to 128 bits)', key: Buffer.alloc(20, 0x0c), data: Buffer.from('Test With Truncation'), expected: 'a3b6167473100ee06e0c796c2955552b' },
  {
    name: 'case 6',
    key: Buffer.alloc(131, 0xaa),
    data: Buffer.from('Test Using Larger Than Block-Size Key - Hash Key First'),
    expected: '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54',
  },
  {
    name: 'case 7',
    key: Buffer.alloc(131, 0xaa),
    data: Buffer.from(
      'This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.',
    ),
    expected: '9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2',
  },
];

describe('hmacSha256 — RFC 4231 vectors', () => {
  for (const vector of vectors) {
    it(vector.name, () => {
      const mac = hmacSha256(vector.key, vector.data).toString('hex');
      expect(mac.slice(0, vector.expected.length)).toBe(vector.expected);
    });
  }
});
