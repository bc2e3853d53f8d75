import type { Context } from 'hono';
import { correlationIdFrom } from '@rampart/core/http';
import type { RampartEnv } from './env.js';

/** The correlation id of this request: the chain's when it ran, else from `traceparent` or fresh. */
export function correlationIdOf(c: Context<RampartEnv>): string {
  const state = c.get('rampart') as RampartEnv['Variables']['rampart'] | undefined;
  return state?.correlationId ?? correlationIdFrom(c.req.header('traceparent'));
}
