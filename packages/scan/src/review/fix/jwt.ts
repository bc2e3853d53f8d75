/**
 * JWT verification (CWE-347): `jwt.verify(token, key)` without `algorithms` lets the token pick how it is checked —
 * `alg: none`, or an RS256 public key used as an HS256 secret (the key-confusion attack). The fix pins the list:
 * `RS256` when the key is visibly a public key or PEM (a literal, a `readFileSync` of a `.pem`/`.pub`/`.crt`, a name
 * saying public/pem/cert, `createPublicKey`), otherwise `HS256`; merged into an options object written in the call.
 * An `algorithms` list containing `'none'` loses `'none'`.
 */
import type * as t from '@babel/types';
import { isFunctionLiteral, propertyOf, sourceOf, staticString, walk } from './ast.js';
import { insertAt, propose, refuse, replaceNode, type FixAttempt, type FixContext } from './attempt.js';
import type { OffsetEdit } from './text.js';

const PUBLIC_KEY_NAME = /public|pubkey|\bpem\b|pem$|^pem|cert/i;
const PUBLIC_KEY_FILE = /\.(pem|pub|crt|cer)$|public/i;

/** The declarator initialising `name`, when it is declared exactly once with one. */
function initializerOf(ast: t.File, name: string): t.Node | undefined {
  const found: t.Node[] = [];
  walk(ast, (node) => {
    if (node.type === 'VariableDeclarator' && node.id.type === 'Identifier' && node.id.name === name && node.init !== null && node.init !== undefined) found.push(node.init);
  });
  return found.length === 1 ? found[0] : undefined;
}

/** True when the key is visibly asymmetric: a PEM, a public key or certificate by name, file or constructor. */
function looksAsymmetric(ast: t.File, node: t.Node, depth = 0): boolean {
  if (depth > 3) return false;
  const literal = staticString(node);
  if (literal !== undefined) return literal.includes('-----BEGIN');
  switch (node.type) {
    case 'Identifier': {
      if (PUBLIC_KEY_NAME.test(node.name)) return true;
      const init = initializerOf(ast, node.name);
      return init !== undefined && looksAsymmetric(ast, init, depth + 1);
    }
    case 'MemberExpression':
    case 'OptionalMemberExpression': {
      const property = node.computed ? staticString(node.property) : node.property.type === 'Identifier' ? node.property.name : undefined;
      return property !== undefined && PUBLIC_KEY_NAME.test(property);
    }
    case 'CallExpression': {
      const callee = node.callee;
      const name = callee.type === 'Identifier' ? callee.name : (callee.type === 'MemberExpression' && callee.property.type === 'Identifier' ? callee.property.name : '');
      if (name === 'createPublicKey' || name === 'importSPKI' || name === 'importX509') return true;
      if (name === 'readFileSync' || name === 'readFile') {
        const path = staticString(node.arguments[0]);
        return path !== undefined && PUBLIC_KEY_FILE.test(path);
      }
      if (name === 'toString' && callee.type === 'MemberExpression') return looksAsymmetric(ast, callee.object, depth + 1);
      return false;
    }
    case 'TSAsExpression':
    case 'TSNonNullExpression':
      return looksAsymmetric(ast, node.expression, depth + 1);
    default:
      return false;
  }
}

/** Adds properties to an object literal written in the code, keeping what is there. */
export function addProperties(object: t.ObjectExpression, properties: readonly string[]): OffsetEdit {
  const last = object.properties[object.properties.length - 1];
  if (last === undefined) return replaceNode(object, `{ ${properties.join(', ')} }`);
  return insertAt(last.end ?? 0, `, ${properties.join(', ')}`);
}

function pinAlgorithms(context: FixContext, args: readonly t.Node[]): FixAttempt {
  const key = args[1];
  if (key === undefined) return refuse('jwt.verify has no key argument');
  const asymmetric = looksAsymmetric(context.ast, key);
  const algorithm = asymmetric ? 'RS256' : 'HS256';
  const pin = `algorithms: ['${algorithm}']`;
  const description = `Pin the accepted algorithm: { ${pin} } (${asymmetric ? 'the key is a public key or PEM' : 'the key is a shared secret'}; use the algorithm your tokens are signed with).`;
  const options = args[2];
  // The engine's own fix pins HS256; it is right unless the key is visibly a public key, where HS256 would fail.
  const overrides = asymmetric;
  if (options === undefined) return propose(description, [insertAt(key.end ?? 0, `, { ${pin} }`)], overrides);
  if (isFunctionLiteral(options)) return propose(description, [insertAt(options.start ?? 0, `{ ${pin} }, `)], overrides);
  if (options.type !== 'ObjectExpression') return refuse('the verify options are not written in the call; add algorithms where they are built');
  if (options.properties.some((property) => property.type !== 'ObjectProperty')) return refuse('the verify options spread other options in, which may already set algorithms');
  return propose(description, [addProperties(options, [pin])], overrides);
}

function dropNone(context: FixContext, args: readonly t.Node[]): FixAttempt {
  const options = args[2];
  if (options?.type !== 'ObjectExpression') return refuse('the options are not written in the call');
  const property = propertyOf(options, 'algorithms');
  if (property === undefined) return refuse(`'none' is set as the single algorithm; pick the algorithm your tokens are signed with`);
  const list = property.value;
  if (list.type !== 'ArrayExpression') return refuse('algorithms is not a list written in the call');
  const kept: string[] = [];
  for (const element of list.elements) {
    if (element === null || element.type === 'SpreadElement') return refuse('the algorithms list has holes or spreads');
    if (staticString(element)?.toLowerCase() === 'none') continue;
    kept.push(sourceOf(context.text, element));
  }
  if (kept.length === 0) return refuse(`'none' is the only algorithm listed; pick the algorithm your tokens are signed with`);
  return propose("Remove 'none' from the accepted algorithms: unsigned tokens must never verify.", [replaceNode(list, `[${kept.join(', ')}]`)]);
}

/** The `jwt-misuse` fixes: pin `algorithms` on `jwt.verify`, or drop `'none'` from the list. */
export function fixJwtMisuse(context: FixContext): FixAttempt {
  const { node } = context.call;
  if (node.type === 'NewExpression') return refuse('the finding is not a jwt call');
  const args = node.arguments;
  if (args.some((arg) => arg.type === 'SpreadElement' || arg.type === 'ArgumentPlaceholder')) return refuse('the call spreads its arguments');
  const callee = node.callee;
  const method = callee.type === 'Identifier' ? callee.name : (callee.type === 'MemberExpression' || callee.type === 'OptionalMemberExpression') && callee.property.type === 'Identifier' ? callee.property.name : undefined;
  switch (context.finding.ruleId) {
    case 'jwt-misuse/verify-without-algorithms':
      if (method !== 'verify') return refuse('the call is not jwt.verify');
      return pinAlgorithms(context, args);
    case 'jwt-misuse/none-algorithm':
      if (method !== 'verify') return refuse(`jwt.${method ?? 'sign'} with 'none' signs nothing; choose a real algorithm and key`);
      return dropNone(context, args);
    default:
      return refuse(`no mechanical fix for ${context.finding.ruleId}`);
  }
}
