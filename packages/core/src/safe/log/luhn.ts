/** The Luhn (mod 10) check digit test of ISO/IEC 7812-1, over a string of decimal digits. */
export function passesLuhn(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i -= 1) {
    let digit = digits.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return false;
    if (double) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
    double = !double;
  }
  return digits.length > 0 && sum % 10 === 0;
}

/*
 * Payment card numbers (PANs) are 13 to 19 digits (ISO/IEC 7812). Only numbers whose first digit is 2-6 are treated
 * as cards: that covers Mastercard (2, 5), American Express, Diners and JCB (3), Visa (4) and Discover, UnionPay and
 * Maestro (6), and keeps 13-digit epoch milliseconds (1…) and other ids from being redacted one time in ten.
 */
const MIN_DIGITS = 13;
const MAX_DIGITS = 19;

/** Whether `digits` (digits only) has the length, leading digit and check digit of a payment card number. */
export function looksLikeCardNumber(digits: string): boolean {
  const first = digits.charCodeAt(0);
  return digits.length >= MIN_DIGITS && digits.length <= MAX_DIGITS && first >= 50 && first <= 54 && passesLuhn(digits);
}

/**
 * Given digit groups as written (`4111 1111 1111 1111`, `4111-1111-1111-1111`, or one group), returns the text with
 * the longest run of whole groups that is a card number replaced by `marker`, repeatedly, so a card next to other
 * digits (`… 1111 123` with a CVV) is still found.
 */
export function redactCardGroups(groups: readonly string[], separators: readonly string[], marker: string): string {
  let best: { start: number; end: number; digits: number } | undefined;
  for (let start = 0; start < groups.length; start += 1) {
    let digits = '';
    for (let end = start; end < groups.length; end += 1) {
      digits += groups[end] ?? '';
      if (digits.length > MAX_DIGITS) break;
      if (looksLikeCardNumber(digits) && (best === undefined || digits.length > best.digits)) best = { start, end, digits: digits.length };
    }
  }
  const join = (from: number, to: number): string => {
    let out = '';
    for (let i = from; i <= to; i += 1) out += (i > from ? (separators[i - 1] ?? '') : '') + (groups[i] ?? '');
    return out;
  };
  if (best === undefined) return join(0, groups.length - 1);
  const before = best.start > 0 ? redactCardGroups(groups.slice(0, best.start), separators.slice(0, best.start - 1), marker) + (separators[best.start - 1] ?? '') : '';
  const after = best.end < groups.length - 1 ? (separators[best.end] ?? '') + redactCardGroups(groups.slice(best.end + 1), separators.slice(best.end + 1), marker) : '';
  return before + marker + after;
}
