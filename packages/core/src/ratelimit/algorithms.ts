// The two algorithms as pure integer arithmetic over a small per-key state. The memory store runs these directly;
// the Redis store runs the same arithmetic in Lua (redis-script.ts) — keep the two in step (tests compare them).
//
// Everything is an integer held in a double (< 2^53), so results are exact in JavaScript and in Redis' Lua alike:
// time is whole milliseconds, and GCRA's state is scaled by `limit` so that the emission interval (period / limit)
// never needs a fraction.
import type { BackoffMs, RateDecision } from './policy.js';

/**
 * GCRA state: `debt` = (theoretical arrival time − `at`) × limit, in ms × limit units; `at` = when it was written (ms).
 * An empty bucket is debt 0; each request of cost c adds c × periodMs; it drains by `limit` per millisecond.
 */
export interface GcraState {
  debt: number;
  at: number;
}

/** Sliding-window state: the index of the current fixed window and the counts of it and of the one before. */
export interface WindowState {
  window: number;
  current: number;
  previous: number;
}

const ceilSeconds = (ms: number): number => Math.ceil(ms / 1000);

function refused(limit: number, remaining: number, resetMs: number, waitMs: number): RateDecision {
  // A refusal always asks the client to wait at least one second: `Retry-After: 0` would invite an immediate retry.
  return { allowed: false, limit, remaining, resetSeconds: ceilSeconds(resetMs), retryAfterSeconds: Math.max(1, ceilSeconds(waitMs)) };
}

/** Drained debt of `state` at `now`. A clock that went backwards drains nothing rather than adding credit. */
export function gcraDebtAt(state: GcraState | undefined, now: number, limit: number): number {
  if (state === undefined) return 0;
  const elapsed = now - state.at;
  if (elapsed <= 0) return state.debt;
  return Math.max(0, state.debt - elapsed * limit);
}

/**
 * One GCRA check-and-consume. Mutates `state` (or returns a new one in `next`) only when the request is admitted,
 * so refused requests cost the client nothing and a flood of refused requests cannot extend a lock-out forever.
 */
export function gcraConsume(
  state: GcraState | undefined,
  now: number,
  cost: number,
  limit: number,
  periodMs: number,
): { decision: RateDecision; next: GcraState | undefined } {
  const capacity = limit * periodMs;
  const debt = gcraDebtAt(state, now, limit);
  if (cost > limit) {
    // Can never fit: refuse without arithmetic that could leave the exact range.
    return { decision: refused(limit, Math.floor((capacity - debt) / periodMs), Math.ceil(debt / limit), periodMs), next: undefined };
  }
  const after = debt + cost * periodMs;
  if (after > capacity) {
    const waitMs = Math.ceil((after - capacity) / limit);
    return { decision: refused(limit, Math.floor((capacity - debt) / periodMs), Math.ceil(debt / limit), waitMs), next: undefined };
  }
  const next = state ?? { debt: 0, at: 0 };
  next.debt = after;
  next.at = now;
  return {
    decision: { allowed: true, limit, remaining: Math.floor((capacity - after) / periodMs), resetSeconds: ceilSeconds(Math.ceil(after / limit)) },
    next,
  };
}

/** Brings a window state to `now`: slides it by one window or empties it. */
export function slideWindow(state: WindowState | undefined, now: number, windowMs: number): WindowState {
  const window = Math.floor(now / windowMs);
  if (state === undefined) return { window, current: 0, previous: 0 };
  // A clock that went backwards keeps the newer counts: forgetting them would hand out a fresh quota.
  if (state.window >= window) return state;
  state.previous = state.window === window - 1 ? state.current : 0;
  state.current = 0;
  state.window = window;
  return state;
}

/**
 * One sliding-window check-and-consume over a state already brought to `now` by {@link slideWindow}. The estimate
 * previous × (overlap of the previous window) + current, compared in integers scaled by the window length.
 */
export function windowConsume(state: WindowState, now: number, cost: number, limit: number, windowMs: number): RateDecision {
  const elapsed = Math.max(0, now - state.window * windowMs);
  const left = windowMs - elapsed;
  const budget = limit * windowMs;
  const used = state.previous * left + state.current * windowMs;
  const remainingOf = (usedScaled: number): number => Math.max(0, Math.floor((budget - usedScaled) / windowMs));
  const resetOf = (current: number): number => (current > 0 ? left + windowMs : state.previous > 0 ? left : 0);
  if (cost <= limit && used + cost * windowMs <= budget) {
    state.current += cost;
    const after = used + cost * windowMs;
    return { allowed: true, limit, remaining: remainingOf(after), resetSeconds: ceilSeconds(resetOf(state.current)) };
  }
  return refused(limit, remainingOf(used), resetOf(state.current), windowWaitMs(state, elapsed, cost, limit, windowMs));
}

/** Milliseconds until a request of `cost` fits, assuming nothing else is admitted meanwhile. */
function windowWaitMs(state: WindowState, elapsed: number, cost: number, limit: number, windowMs: number): number {
  if (cost > limit) return windowMs;
  const left = windowMs - elapsed;
  if (state.current + cost <= limit) {
    // Fits in this window once enough of the previous window has slid out: previous × (left − t) ≤ (limit − current − cost) × W.
    const room = (limit - state.current - cost) * windowMs;
    return state.previous === 0 ? 0 : Math.max(0, left - Math.floor(room / state.previous));
  }
  // Not in this window: in the next one, the current count becomes the previous and slides out the same way.
  const room = (limit - cost) * windowMs;
  return left + (state.current === 0 ? 0 : Math.max(0, windowMs - Math.floor(room / state.current)));
}

/** Back-off state: attempts counted, when the next one is allowed, when the last one was counted (all ms). */
export interface BackoffState {
  count: number;
  until: number;
  at: number;
}

/**
 * One back-off attempt: refused while the key waits out a delay or a lock; otherwise counted, and the wait before
 * the next attempt set from the new count. Counting before the caller verifies anything is what makes it safe under
 * concurrency: a thousand parallel attempts are a thousand counted attempts, not a thousand passes of a check.
 */
export function backoffConsume(state: BackoffState | undefined, now: number, cost: number, plan: BackoffMs): { decision: RateDecision; next: BackoffState } {
  const next = state ?? { count: 0, until: 0, at: now };
  if (now - next.at > plan.forgetMs) {
    next.count = 0;
    next.until = 0;
  }
  if (now < next.until) {
    const resetMs = next.until - now + plan.forgetMs;
    return { decision: refused(plan.lockAfter, Math.max(0, plan.lockAfter - next.count), resetMs, next.until - now), next };
  }
  next.count += cost;
  next.at = now;
  const beyond = next.count - plan.free;
  if (next.count >= plan.lockAfter) next.until = now + plan.lockMs;
  else if (beyond >= 0 && plan.delaysMs.length > 0) next.until = now + (plan.delaysMs[Math.min(beyond, plan.delaysMs.length - 1)] ?? 0);
  else next.until = 0;
  const resetMs = Math.max(0, next.until - now) + plan.forgetMs;
  return { decision: { allowed: true, limit: plan.lockAfter, remaining: Math.max(0, plan.lockAfter - next.count), resetSeconds: ceilSeconds(resetMs) }, next };
}
