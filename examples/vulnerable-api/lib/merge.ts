/**
 * A deep merge for user preferences. DELIBERATELY INSECURE (CWE-1321): it copies every key, `__proto__` included,
 * so `{"__proto__": {"isStaff": true}}` from a JSON body writes into `Object.prototype` and every object in the
 * process inherits `isStaff`.
 */
export function deepMerge(target: Record<string, unknown>, source: Record<string, unknown>): Record<string, unknown> {
  for (const key of Object.keys(source)) {
    const value = source[key];
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      if (typeof target[key] !== 'object' || target[key] === null) target[key] = {};
      deepMerge(target[key] as Record<string, unknown>, value as Record<string, unknown>);
    } else {
      target[key] = value;
    }
  }
  return target;
}
