/*
 * The http area as a request sees it: the session cookie written with Rampart's defaults and read back by name.
 * Attack: cookie tossing — a sibling subdomain plants look-alike cookies; the prefixed name still reads the real one.
 */
import { describe, expect, it } from 'vitest';
import { cookieName, parseCookies, serializeCookie } from './index.js';

describe('http area: session cookie', () => {
  it('writes the session cookie with every safe attribute', () => {
    const header = serializeCookie('sid', 'abc');
    expect(header).toMatch(/^__Host-sid=abc; /);
    for (const attribute of ['Path=/', 'Secure', 'HttpOnly', 'SameSite=Lax']) expect(header).toContain(attribute);
    expect(header).not.toMatch(/Domain=/i);
  });

  it('attack: planted look-alikes (unprefixed, other case, exotic whitespace) are not read as the session cookie', () => {
    const header = 'sid=planted; __host-sid=planted; \u2000__Host-sid=planted; __Host-sid=real';
    expect(parseCookies(header).get(cookieName('sid'))).toBe('real');
  });
});
