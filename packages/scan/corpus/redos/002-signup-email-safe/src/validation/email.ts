const EMAIL = /^[\w.-]{1,64}@[a-z0-9-]{1,63}\.[a-z]{2,24}$/i;

export function isValidEmail(value: string): boolean {
  return EMAIL.test(value);
}
