import type { Clock } from '@rampart/core';
import { decisionAuditAttributes, type Decision } from '@rampart/core/authz';
import type { EmitEvent } from '../events.js';

/** Denials (and evaluation failures) reported one by one per request; the rest of a request's are counted in one event. */
export const MAX_DENIAL_EVENTS_PER_REQUEST = 10;
/** Allows are summarized per API key over this window. */
export const ALLOW_SUMMARY_WINDOW_MS = 60_000;

/** One decision of a request, with what the audit trail needs to say who was decided about. */
export interface DecisionFact {
  readonly principalId: string;
  readonly action: string;
  readonly resourceKind: string;
  readonly resourceId: string | undefined;
  readonly tenant: string | undefined;
  readonly decision: Decision;
}

/** The caller: the API key and its owner. */
export interface DecisionCaller {
  readonly apiKeyId: string;
  readonly userId: string;
  readonly correlationId: string;
}

/**
 * Decision events for the decision API, with their volume bounded (a service may ask thousands of times a second):
 *
 * - every denial is an `authz.denied` (an evaluation failure an `authz.failed`), with the principal as subject and
 *   core's `decisionAuditAttributes`, up to {@link MAX_DENIAL_EVENTS_PER_REQUEST} per request; the rest of that
 *   request's denials are one more `authz.denied` with `summarized: true` and their count;
 * - allows are counted per API key and reported as one `authz.allowed` with `summarized: true`, `count` and the window
 *   when {@link ALLOW_SUMMARY_WINDOW_MS} has passed (on the next decision or at shutdown).
 *
 * Protects against the audit trail drowning in routine allows (which would push real denials out of retention or
 * into the hub's drop counter) while keeping every denial — what an investigation and PCI DSS 10.2.1.4 look for.
 */
export class DecisionAudit {
  readonly #emit: EmitEvent;
  readonly #clock: Clock;
  readonly #allows = new Map<string, { userId: string; count: number; since: number }>();
  #windowStart: number;

  constructor(emit: EmitEvent, clock: Clock) {
    this.#emit = emit;
    this.#clock = clock;
    this.#windowStart = clock.now();
  }

  /** Reports the decisions of one request. */
  record(caller: DecisionCaller, facts: readonly DecisionFact[]): void {
    let reported = 0;
    let suppressed = 0;
    let allowed = 0;
    for (const fact of facts) {
      if (fact.decision.allowed) {
        allowed += 1;
        continue;
      }
      if (reported >= MAX_DENIAL_EVENTS_PER_REQUEST) {
        suppressed += 1;
        continue;
      }
      reported += 1;
      this.#emit(fact.decision.reason === 'condition_error' ? 'authz.failed' : 'authz.denied', fact.principalId, {
        ...decisionAuditAttributes(fact.decision),
        action: fact.action,
        resourceKind: fact.resourceKind,
        ...(fact.resourceId === undefined ? {} : { resourceId: fact.resourceId }),
        ...(fact.tenant === undefined ? {} : { tenant: fact.tenant }),
        apiKeyId: caller.apiKeyId,
        callerId: caller.userId,
        correlationId: caller.correlationId,
      });
    }
    if (suppressed > 0) {
      this.#emit('authz.denied', undefined, { summarized: true, count: suppressed, apiKeyId: caller.apiKeyId, callerId: caller.userId, correlationId: caller.correlationId });
    }
    if (allowed > 0) {
      const entry = this.#allows.get(caller.apiKeyId);
      if (entry === undefined) this.#allows.set(caller.apiKeyId, { userId: caller.userId, count: allowed, since: this.#clock.now() });
      else entry.count += allowed;
    }
    if (this.#clock.now() - this.#windowStart >= ALLOW_SUMMARY_WINDOW_MS) this.flush();
  }

  /** Emits the pending allow summaries now (window end, shutdown). */
  flush(): void {
    const now = this.#clock.now();
    for (const [apiKeyId, entry] of this.#allows) {
      this.#emit('authz.allowed', entry.userId, {
        summarized: true,
        count: entry.count,
        apiKeyId,
        since: new Date(entry.since).toISOString(),
        until: new Date(now).toISOString(),
      });
    }
    this.#allows.clear();
    this.#windowStart = now;
  }
}
