/**
 * Input checks. DELIBERATELY INSECURE (CWE-1333): the e-mail pattern nests quantifiers (`([a-z0-9]+[._-]?)+`), so a
 * long run of letters followed by a character that cannot match makes the engine try exponentially many ways to split
 * the run before it answers "no" — one request holds the event loop.
 */
export const EMAIL_PATTERN = /^([a-zA-Z0-9]+[._-]?)+@[a-zA-Z0-9-]+\.[a-z]{2,}$/;

/** True when `email` looks like an address. */
export function isEmail(email: string): boolean {
  return EMAIL_PATTERN.test(email);
}
