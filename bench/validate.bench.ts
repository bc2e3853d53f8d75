import { createRequire } from 'node:module';
import sjson from 'secure-json-parse';
import Type from 'typebox';
import { z } from 'zod';
import { compile, parseUntrustedJson } from '../packages/core/src/validate/index.js';
import { compare, type BenchRow } from './harness.js';

/** The slice of Ajv 8's API the peer row uses. */
interface RawAjv {
  compile(schema: object): (data: unknown) => boolean;
}
type RawAjvClass = new (options: object) => RawAjv;

// The repository root resolves `ajv` to v6 (an eslint dependency); load Ajv 8 exactly as @rampart/core resolves it.
const requireFromCore = createRequire(new URL('../packages/core/package.json', import.meta.url));
const { Ajv2020 } = requireFromCore('ajv/dist/2020') as { Ajv2020: RawAjvClass };
const addFormats = (requireFromCore('ajv-formats') as { default: (ajv: RawAjv) => RawAjv }).default;

const SignUp = Type.Object({
  email: Type.String({ format: 'email', maxLength: 254 }),
  username: Type.String({ pattern: '^[a-z0-9_]{3,32}$' }),
  password: Type.String({ minLength: 12, maxLength: 128 }),
  displayName: Type.String({ minLength: 1, maxLength: 64 }),
  age: Type.Integer({ minimum: 13, maximum: 150 }),
  acceptTerms: Type.Boolean(),
  marketing: Type.Optional(Type.Boolean()),
  tags: Type.Array(Type.String({ maxLength: 20 }), { maxItems: 10 }),
  address: Type.Object({ country: Type.String({ minLength: 2, maxLength: 2 }), city: Type.String({ maxLength: 100 }) }),
});

const zodSignUp = z.strictObject({
  email: z.email().max(254),
  username: z.string().regex(/^[a-z0-9_]{3,32}$/),
  password: z.string().min(12).max(128),
  displayName: z.string().min(1).max(64),
  age: z.number().int().min(13).max(150),
  acceptTerms: z.boolean(),
  marketing: z.boolean().optional(),
  tags: z.array(z.string().max(20)).max(10),
  address: z.strictObject({ country: z.string().length(2), city: z.string().max(100) }),
});

const valid = {
  email: 'alice@example.com',
  username: 'alice_1',
  password: 'correct horse battery staple',
  displayName: 'Alice',
  age: 30,
  acceptTerms: true,
  tags: ['early-adopter', 'beta'],
  address: { country: 'NZ', city: 'Wellington' },
};
const massAssignment = { ...valid, isAdmin: true };

/**
 * Schema validation of a realistic sign-up body: Rampart's compiled allowlist validator against zod 4 (same shape,
 * strict objects) and against Ajv 8 used directly on the very schema Rampart emits; then the safe JSON parser against
 * secure-json-parse alone, to show what the duplicate-key scan costs.
 */
export async function run(): Promise<BenchRow[]> {
  const rampart = compile(SignUp);
  const ajv = new Ajv2020({ allErrors: false });
  addFormats(ajv);
  const rawAjv = ajv.compile(rampart.toJsonSchema() as object);
  if (!rampart.check(valid).ok || !zodSignUp.safeParse(valid).success || !rawAjv(valid)) throw new Error('validate bench: inputs disagree');
  if (rampart.check(massAssignment).ok || zodSignUp.safeParse(massAssignment).success || rawAjv(massAssignment)) {
    throw new Error('validate bench: an extra property was accepted');
  }
  const body = JSON.stringify({ ...valid, notes: Array.from({ length: 12 }, (_, i) => ({ id: i, text: `note ${i} `.repeat(6) })) });

  return [
    await compare('validate sign-up (valid) vs zod', { name: 'rampart compile().check', fn: () => rampart.check(valid) }, { name: 'zod 4 safeParse', fn: () => zodSignUp.safeParse(valid) }),
    await compare('validate sign-up (valid) vs ajv', { name: 'rampart compile().check', fn: () => rampart.check(valid) }, { name: 'ajv 8 validate (same schema)', fn: () => rawAjv(valid) }),
    await compare(
      'validate sign-up (extra isAdmin) vs zod',
      { name: 'rampart compile().check', fn: () => rampart.check(massAssignment) },
      { name: 'zod 4 safeParse', fn: () => zodSignUp.safeParse(massAssignment) },
    ),
    await compare(
      `parse JSON body (${body.length} B)`,
      { name: 'rampart parseUntrustedJson', fn: () => parseUntrustedJson(body) },
      { name: 'secure-json-parse', fn: (): unknown => sjson.parse(body, null, { protoAction: 'error', constructorAction: 'error' }) },
    ),
  ];
}
