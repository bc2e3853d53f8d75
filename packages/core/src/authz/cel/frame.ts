import { create } from '@bufbuild/protobuf';
import { TimestampSchema } from '@bufbuild/protobuf/wkt';
import type { Attributes, CheckContext, Principal, Resource } from '../model.js';
import type { RootVariable } from './variables.js';

/**
 * What a condition reads during one check. The engine keeps one frame per authorizer and refills it for every
 * check (checks are synchronous), so a condition costs no allocation until the CEL library itself is needed.
 */
export interface ConditionFrame {
  readonly principal: Principal;
  readonly resource: Resource;
  readonly action: string;
  readonly context: CheckContext | undefined;
  /** `request.time` in milliseconds since the epoch. */
  nowMs(): number;
  /** Whether the principal holds `role` (directly or inherited) in the resource's tenant. */
  hasEffectiveRole(role: string): boolean;
  /** `principal.roles`: the roles held in the resource's tenant, inherited ones included, sorted. */
  effectiveRoleNames(): readonly string[];
  /** The CEL activation for the library, built on first use in a check. */
  activation(): Readonly<Record<RootVariable, Readonly<Record<string, unknown>>>>;
  /** Values already checked against the input bounds during this check (by identity). */
  readonly checkedInputs: unknown[];
}

const EMPTY_ATTRIBUTES: Attributes = Object.freeze({});
const EMPTY_LIST: readonly string[] = Object.freeze([]);

/**
 * The value of a root field as both evaluation paths see it, except `request.time` (milliseconds here, a
 * `google.protobuf.Timestamp` for the library), `request.aal` (a number here, a CEL `int` for the library) and
 * `principal.roles` (only through {@link ConditionFrame.effectiveRoleNames}). One function, so the compiled fast path
 * and the CEL library can never disagree about what `resource.owner` is.
 */
export function readRootField(frame: ConditionFrame, root: RootVariable, field: string): unknown {
  switch (root) {
    case 'principal': {
      const p = frame.principal;
      switch (field) {
        case 'id':
          return p.id;
        case 'tenant':
          return p.tenant ?? null;
        case 'attributes':
          return p.attributes ?? EMPTY_ATTRIBUTES;
        case 'roles':
          return frame.effectiveRoleNames();
        default:
          return undefined;
      }
    }
    case 'resource': {
      const r = frame.resource;
      switch (field) {
        case 'kind':
          return r.kind;
        case 'id':
          return r.id ?? null;
        case 'owner':
          return r.owner ?? null;
        case 'tenant':
          return r.tenant ?? null;
        case 'attributes':
          return r.attributes ?? EMPTY_ATTRIBUTES;
        default:
          return undefined;
      }
    }
    case 'request': {
      const c = frame.context;
      switch (field) {
        case 'action':
          return frame.action;
        case 'fields':
          return c?.fields ?? EMPTY_LIST;
        case 'time':
          return frame.nowMs();
        case 'ip':
          return c?.clientIp ?? null;
        case 'mfa':
          return c?.mfa === true;
        case 'aal':
          return c?.aal ?? 0;
        case 'scopes':
          return c?.scopes ?? null;
        default:
          return undefined;
      }
    }
  }
}

function timestampFromMs(ms: number): unknown {
  const seconds = Math.floor(ms / 1000);
  return create(TimestampSchema, { seconds: BigInt(seconds), nanos: (ms - seconds * 1000) * 1_000_000 });
}

/** Builds the activation the CEL library evaluates against (plain objects, read as CEL maps). */
export function buildActivation(frame: ConditionFrame): Readonly<Record<RootVariable, Readonly<Record<string, unknown>>>> {
  const principal = {
    id: readRootField(frame, 'principal', 'id'),
    roles: frame.effectiveRoleNames(),
    tenant: readRootField(frame, 'principal', 'tenant'),
    attributes: readRootField(frame, 'principal', 'attributes'),
  };
  const resource = {
    kind: readRootField(frame, 'resource', 'kind'),
    id: readRootField(frame, 'resource', 'id'),
    owner: readRootField(frame, 'resource', 'owner'),
    tenant: readRootField(frame, 'resource', 'tenant'),
    attributes: readRootField(frame, 'resource', 'attributes'),
  };
  const request = {
    action: readRootField(frame, 'request', 'action'),
    fields: readRootField(frame, 'request', 'fields'),
    time: timestampFromMs(frame.nowMs()),
    ip: readRootField(frame, 'request', 'ip'),
    mfa: readRootField(frame, 'request', 'mfa'),
    aal: BigInt(readRootField(frame, 'request', 'aal') as number),
    scopes: readRootField(frame, 'request', 'scopes'),
  };
  return { principal, resource, request };
}
