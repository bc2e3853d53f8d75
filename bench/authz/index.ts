// The authorization suite for `bench/run.ts`: one abstract model per size, translated into each engine, cross-checked
// against the oracle, then timed over the same query stream. Without Rampart the peers get `measure()` rows; with
// Rampart (./rampart.ts, or the `rampart` argument) every row becomes a `compare()` row, Rampart vs that peer.
import { compare, measure, type BenchRow, type ComparisonRow, type Contender, type MeasureRow } from '../harness.js';
import { buildCasbin } from './casbin.js';
import { buildCasl } from './casl.js';
import { assertCoverage, crossCheck, type CrossCheckContender } from './check.js';
import { generateModel, generateQueries, type AuthzModel, type Checker, type CheckerFactory, type ModelSize, type Query } from './model.js';
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

/** A contender that cycles through `queries`, one check per call, the same way for every engine. */
function cycling(name: string, queries: readonly Query[], check: (...query: Parameters<Checker>) => boolean | Promise<boolean>): Contender {
  let i = 0;
  return {
    name,
    fn: () => {
      const query = queries[i]!;
      i = i + 1 === queries.length ? 0 : i + 1;
      return check(query.user, query.action, query.resource);
    },
  };
}

function suiteLabel(model: AuthzModel): string {
  const label = model.size === 'large' ? `${Math.round(model.rules.length / 1000)}k rules` : 'small';
  return `authz ${label}`;
}

interface Prepared {
  readonly model: AuthzModel;
  readonly peers: Readonly<Record<TimedClass, readonly Contender[]>>;
  readonly rampart: Readonly<Record<TimedClass, Contender>> | undefined;
}

async function prepare(size: ModelSize, rampart: CheckerFactory | undefined): Promise<Prepared> {
  const model = generateModel(size);
  const stream = generateQueries(model);
  const casbin = await buildCasbin(model);
  const casl = buildCasl(model);
  const rampartCheck = rampart === undefined ? undefined : await rampart(model);

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

  const peersFor = (queries: readonly Query[]): Contender[] => [
    cycling('casbin enforce (awaited)', queries, casbin.enforce),
    cycling('casbin enforceSync', queries, casbin.enforceSync),
    cycling('casl can', queries, casl.can),
  ];
  return {
    model,
    peers: { simple: peersFor(stream.simple), conditional: peersFor(stream.conditional) },
    rampart:
      rampartCheck === undefined
        ? undefined
        : {
            simple: cycling('rampart check', stream.simple, rampartCheck),
            conditional: cycling('rampart check', stream.conditional, rampartCheck),
          },
  };
}

/** `×1.40 time of small`: the scaling goal is that 20k rules cost at most 2× the small model per decision. */
const scaling = (smallOps: number | undefined, largeOps: number): string =>
  smallOps === undefined ? '' : ` (×${(smallOps / largeOps).toFixed(2)} time of small)`;

/**
 * Cross-checks, then times casbin `enforce` (awaited), casbin `enforceSync` and CASL `can` over the simple and the
 * conditional query streams, on the small model and on the 20k-rule one. Pass `rampart` (or set it in ./rampart.ts)
 * to time Rampart side by side with each peer instead.
 */
export async function run(rampart: CheckerFactory | undefined = rampartFactory): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const smallOps = new Map<string, number>();
  for (const size of ['small', 'large'] as const) {
    const prepared = await prepare(size, rampart);
    for (const queryClass of TIMED_CLASSES) {
      const suite = `${suiteLabel(prepared.model)} · ${queryClass}`;
      const rampartContender = prepared.rampart?.[queryClass];
      for (const [position, peer] of prepared.peers[queryClass].entries()) {
        const key = `${queryClass}|${position}`;
        if (rampartContender === undefined) {
          const row: MeasureRow = await measure(suite, peer);
          if (size === 'small') smallOps.set(key, row.ops);
          rows.push(size === 'small' ? row : { ...row, name: row.name + scaling(smallOps.get(key), row.ops) });
        } else {
          const row: ComparisonRow = await compare(suite, rampartContender, peer);
          if (size === 'small') {
            smallOps.set(`${key}|rampart`, row.rampartOps);
            smallOps.set(key, row.peerOps);
          }
          rows.push(
            size === 'small'
              ? row
              : {
                  ...row,
                  rampart: row.rampart + scaling(smallOps.get(`${key}|rampart`), row.rampartOps),
                  peer: row.peer + scaling(smallOps.get(key), row.peerOps),
                },
          );
        }
      }
    }
  }
  return rows;
}
