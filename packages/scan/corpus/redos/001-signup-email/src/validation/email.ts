const EMAIL = /^(\w+[.-]?)+@[a-z0-9-]+\.[a-z]{2,}$/i;

export function isValidEmail(value: string): boolean {
  return EMAIL.test(value);
}
