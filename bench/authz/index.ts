// The authorization suite for `bench/run.ts`: one abstract model per size, translated into each engine, cross-checked
// against the oracle, then timed over the same query stream, each contender in a process of its own (./timed.ts).
// With Rampart (./rampart.ts, the default) every row compares Rampart with one peer; without, the peers are measured alone.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BenchRow, ComparisonRow, MeasureRow } from '../harness.js';
import { buildCasbin } from './casbin.js';
import { buildCasl } from './casl.js';
import { assertCoverage, crossCheck, type CrossCheckContender } from './check.js';
import { generateModel, generateQueries, type AuthzModel, type ModelSize } from './model.js';
import { rampartFactory } from './rampart.js';

export type { AuthzModel, Checker, CheckerFactory, Query, Resource, User } from './model.js';

/**
 * How many queries of the mixed stream each contender must answer like the oracle before timing. casbin reads every
 * policy line on every check (≈25 ms sync, ≈50 ms awaited per check at 20k rules), so on the large model it answers a
 * prefix; that prefix is coverage-checked too, so it still reaches every path of the semantics.
 */
const CROSS_CHECK: Readonly<Record<ModelSize, { readonly casbinSync: number; readonly casbinAwaited: number }>> = {
  small: { casbinSync: Number.POSITIVE_INFINITY, casbinAwaited: Number.POSITIVE_INFINITY },
  large: { casbinSync: 256, casbinAwaited: 128 },
};

const TIMED_CLASSES = ['simple', 'conditional'] as const;
type TimedClass = (typeof TIMED_CLASSES)[number];

function suiteLabel(model: AuthzModel): string {
  const label = model.size === 'large' ? `${Math.round(model.rules.length / 1000)}k rules` : 'small';
  return `authz ${label}`;
}

/** Cross-checks every contender against the oracle on the model's mixed stream; nothing here is timed. */
async function crossCheckModel(size: ModelSize, withRampart: boolean): Promise<AuthzModel> {
  const model = generateModel(size);
  const stream = generateQueries(model);
  const casbin = await buildCasbin(model);
  const casl = buildCasl(model);
  const rampartCheck = withRampart ? await rampartFactory(model) : undefined;

  const { casbinSync, casbinAwaited } = CROSS_CHECK[size];
  const contenders: CrossCheckContender[] = [
    { name: 'casl can', check: casl.can },
    ...(rampartCheck === undefined ? [] : [{ name: 'rampart check', check: rampartCheck }]),
    { name: 'casbin enforceSync', check: casbin.enforceSync, limit: casbinSync },
    { name: 'casbin enforce', check: casbin.enforce, limit: casbinAwaited },
  ];
  assertCoverage(model, stream.mixed);
  assertCoverage(model, stream.mixed.slice(0, Math.min(casbinSync, casbinAwaited)));
  const compared = await crossCheck(model, stream.mixed, contenders);
  process.stderr.write(
    `  ${suiteLabel(model)} (${model.users.length} users, ${model.roles.length} roles, ${model.kinds.length * model.actions.length} permissions, ` +
      `${model.rules.length} rules): ${compared} answers equal to the oracle's (${contenders.map((c) => c.name).join(', ')})\n`,
  );
  return model;
}

type TimedContender = 'rampart' | 'casl' | 'casbin-sync' | 'casbin-awaited';

const LABELS: Readonly<Record<TimedContender, string>> = {
  rampart: 'rampart check',
  casl: 'casl can',
  'casbin-sync': 'casbin enforceSync',
  'casbin-awaited': 'casbin enforce (awaited)',
};

const TIMED = fileURLToPath(new URL('./timed.ts', import.meta.url));

/** Runs ./timed.ts in a fresh process and returns its checks per second. */
function timeInChild(size: ModelSize, queryClass: TimedClass, contender: TimedContender): number {
  const result = spawnSync(process.execPath, ['--import', 'tsx', TIMED, size, queryClass, contender], {
    encoding: 'utf8',
    env: process.env,
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 600_000,
  });
  const line = result.stdout.trim().split('\n').at(-1) ?? '';
  if (result.status !== 0 || !line.startsWith('{')) throw new Error(`authz ${size} ${queryClass} ${contender}: the timing process failed (${result.status ?? result.signal})`);
  const { ops } = JSON.parse(line) as { ops: number };
  return ops;
}

/**
 * Rampart and CASL are timed `ROUNDS` times each, alternating, and the median kept: one process is at the mercy of
 * its neighbours on a shared machine. casbin (thousands of times slower) is timed once.
 */
const ROUNDS = Number(process.env.RAMPART_AUTHZ_ROUNDS ?? 3);

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function timeAll(size: ModelSize, queryClass: TimedClass, withRampart: boolean): Map<TimedContender, number> {
  const samples = new Map<TimedContender, number[]>();
  const add = (contender: TimedContender): void => {
    const list = samples.get(contender) ?? [];
    list.push(timeInChild(size, queryClass, contender));
    samples.set(contender, list);
  };
  for (let round = 0; round < ROUNDS; round += 1) {
    const pair: TimedContender[] = withRampart ? ['rampart', 'casl'] : ['casl'];
    for (const contender of round % 2 === 0 ? pair : pair.reverse()) add(contender);
  }
  add('casbin-sync');
  add('casbin-awaited');
  return new Map([...samples].map(([contender, list]) => [contender, median(list)]));
}

/** `×1.40 time of small`: the scaling goal is that 20k rules cost at most 2× the small model per decision. */
const scaling = (smallOps: number | undefined, largeOps: number): string =>
  smallOps === undefined ? '' : ` (×${(smallOps / largeOps).toFixed(2)} time of small)`;

const PEERS: readonly TimedContender[] = ['casbin-awaited', 'casbin-sync', 'casl'];

/**
 * Cross-checks, then times casbin `enforce` (awaited), casbin `enforceSync` and CASL `can` over the simple and the
 * conditional query streams, on the small model and on the 20k-rule one, each in a process of its own (./timed.ts).
 * Rampart (./rampart.ts) is cross-checked and timed side by side with each peer; `{ rampart: false }` times the
 * peers alone.
 */
export async function run(options: { readonly rampart?: boolean } = {}): Promise<BenchRow[]> {
  const withRampart = options.rampart ?? true;
  const rows: BenchRow[] = [];
  const smallOps = new Map<string, number>();
  for (const size of ['small', 'large'] as const) {
    const model = await crossCheckModel(size, withRampart);
    for (const queryClass of TIMED_CLASSES) {
      const suite = `${suiteLabel(model)} · ${queryClass}`;
      const ops = timeAll(size, queryClass, withRampart);
      const rampartOps = ops.get('rampart');
      if (size === 'small' && rampartOps !== undefined) smallOps.set(`${queryClass}|rampart`, rampartOps);
      for (const peer of PEERS) {
        const peerOps = ops.get(peer) ?? 0;
        const key = `${queryClass}|${peer}`;
        if (size === 'small') smallOps.set(key, peerOps);
        const peerName = LABELS[peer] + (size === 'small' ? '' : scaling(smallOps.get(key), peerOps));
        if (rampartOps === undefined) {
          const row: MeasureRow = { suite, name: peerName, ops: peerOps, meanMs: 1000 / peerOps };
          rows.push(row);
        } else {
          const row: ComparisonRow = {
            suite,
            rampart: LABELS.rampart + (size === 'small' ? '' : scaling(smallOps.get(`${queryClass}|rampart`), rampartOps)),
            rampartOps,
            peer: peerName,
            peerOps,
            ratio: rampartOps / peerOps,
          };
          rows.push(row);
        }
      }
    }
  }
  return rows;
}
