import { createHash } from 'node:crypto';

/** JSON with object keys sorted, so the digest does not depend on the key order of the YAML. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}

/** SHA-256 (hex) of the documents in canonical JSON, sorted by name: identifies exactly what was loaded. */
export function documentsDigest(documents: readonly { readonly name: string }[]): string {
  const sorted = [...documents].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return createHash('sha256').update(canonicalJson(sorted)).digest('hex');
}
