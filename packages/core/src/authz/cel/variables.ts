/**
 * The variables a condition can read, and their fields. Fixed, so that a typo (`principal.name`, `resuorce.owner`) is
 * a load-time error instead of a condition that silently never matches; free-form data lives under `attributes`.
 */
export type RootVariable = 'principal' | 'resource' | 'request';

/** Static type of a root field, as the CEL library sees it. `?` means the field can be `null`. */
export type RootFieldType = 'string' | 'string?' | 'list<string>' | 'list<string>?' | 'map' | 'timestamp' | 'bool' | 'int';

export const ROOT_FIELDS: Readonly<Record<RootVariable, Readonly<Record<string, RootFieldType>>>> = Object.freeze({
  principal: Object.freeze({ id: 'string', roles: 'list<string>', tenant: 'string?', attributes: 'map' }),
  resource: Object.freeze({ kind: 'string', id: 'string?', owner: 'string?', tenant: 'string?', attributes: 'map' }),
  request: Object.freeze({
    action: 'string',
    fields: 'list<string>',
    time: 'timestamp',
    ip: 'string?',
    mfa: 'bool',
    aal: 'int',
    scopes: 'list<string>?',
  }),
});

export function isRootVariable(name: string): name is RootVariable {
  return name === 'principal' || name === 'resource' || name === 'request';
}

export function rootFieldType(root: RootVariable, field: string): RootFieldType | undefined {
  const fields = ROOT_FIELDS[root];
  return Object.hasOwn(fields, field) ? fields[field] : undefined;
}
