/**
 * The form an e-mail address is compared and stored under for uniqueness.
 *
 * The request schema admits only ASCII addresses (ajv-formats `email`, at most 254 characters), so lower-casing is the
 * whole normalisation: `Alice@Example.COM` and `alice@example.com` are one account. Local parts are case-sensitive in
 * theory (RFC 5321 §2.4) but no mainstream provider treats them so, and two accounts differing only by case are an
 * account-takeover lever (a reset mailed to one, a login to the other). Provider-specific folding (dots, `+tags`) is
 * not applied: it is not true in general and would merge distinct mailboxes.
 */
export function normalizeEmail(email: string): string {
  return email.toLowerCase();
}
