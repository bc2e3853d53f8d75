import { createPasswordHasher } from '@rampart/core/password';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { shedWhileHasherFull } from './password.js';

type Done = (error?: Error) => void;

describe('shedding logins before their body is read', () => {
  it('attack: a login flood beyond the hashing bulkhead is answered 503 with Retry-After at once, and recorded once a second', async () => {
    // A real hasher with one slot and no queue: one hash in flight fills it.
    const hasher = createPasswordHasher({ memoryCost: 1024, timeCost: 1, allowWeakParameters: true, concurrency: 1, queue: 0 });
    const reports: number[] = [];
    let now = 0;
    const hook = shedWhileHasherFull(hasher, (queued) => reports.push(queued), () => now);
    const run = (): Error | undefined => {
      let outcome: Error | undefined;
      const done: Done = (error) => {
        outcome = error;
      };
      (hook as (request: FastifyRequest, reply: FastifyReply, done: Done) => void)({} as FastifyRequest, {} as FastifyReply, done);
      return outcome;
    };
    expect(run()).toBeUndefined(); // idle: the login goes on to its handler
    const inFlight = hasher.hash('violet kettle marching under cobalt rain');
    const refused = run() as { problem?: { status: number; code?: string; headers?: Record<string, string> } } | undefined;
    expect(refused?.problem).toMatchObject({ status: 503, code: 'password.hasher_busy' });
    expect(Number(refused?.problem?.headers?.['retry-after'])).toBeGreaterThanOrEqual(1);
    run();
    run();
    expect(reports).toHaveLength(1);
    now += 1_000;
    run();
    expect(reports).toHaveLength(2);
    await inFlight;
    expect(run()).toBeUndefined();
  });
});
