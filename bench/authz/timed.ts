// One timed measurement in a process of its own: `tsx bench/authz/timed.ts <small|large> <simple|conditional> <contender>`
// prints `{"ops": …}`. A check takes a fraction of a microsecond, where what else the process ran decides the result:
// call sites shared with other engines, their garbage (casbin's, at 20k rules), their compiled code. So each contender
// is timed alone, on the model and query stream regenerated from the same seed (the parent cross-checked them).
import { buildCasbin } from './casbin.js';
import { buildCasl } from './casl.js';
import { measure, type Contender } from '../harness.js';
import { generateModel, generateQueries, type ModelSize, type Query } from './model.js';
import { rampartChecker, toRampartResource } from './rampart.js';

export const CONTENDERS = ['rampart', 'casl', 'casbin-sync', 'casbin-awaited'] as const;
export type ContenderName = (typeof CONTENDERS)[number];

/** Checks per timed call for the synchronous in-memory engines (casbin, at milliseconds per check, runs one). */
const BATCH = 64;

/** Cycles through `inputs`, `batch` checks per timed call; the loop is the same for every engine. */
function cycling<T extends { readonly user: Query['user']; readonly action: string }, R>(
  name: string,
  inputs: readonly T[],
  check: (user: T['user'], action: string, resource: R) => boolean,
  resourceOf: (input: T) => R,
  batch: number,
): Contender {
  const resources = inputs.map(resourceOf);
  let i = 0;
  return {
    name,
    batch,
    fn: () => {
      let allowed = 0;
      for (let n = 0; n < batch; n += 1) {
        const input = inputs[i]!;
        if (check(input.user, input.action, resources[i]!)) allowed += 1;
        i = i + 1 === inputs.length ? 0 : i + 1;
      }
      return allowed;
    },
  };
}

async function contender(name: ContenderName, size: ModelSize, queryClass: 'simple' | 'conditional'): Promise<Contender> {
  const model = generateModel(size);
  const queries = generateQueries(model)[queryClass];
  switch (name) {
    case 'rampart':
      return cycling('rampart check', queries, rampartChecker(model), (query) => toRampartResource(query.resource), BATCH);
    case 'casl':
      return cycling('casl can', queries, buildCasl(model).can, (query) => query.resource, BATCH);
    case 'casbin-sync':
      return cycling('casbin enforceSync', queries, (await buildCasbin(model)).enforceSync, (query) => query.resource, 1);
    case 'casbin-awaited': {
      const { enforce } = await buildCasbin(model);
      let i = 0;
      // The promise is part of what an app pays for the awaited entry point.
      return {
        name: 'casbin enforce (awaited)',
        fn: () => {
          const query = queries[i]!;
          i = i + 1 === queries.length ? 0 : i + 1;
          return enforce(query.user, query.action, query.resource);
        },
      };
    }
  }
}

const [size, queryClass, name] = process.argv.slice(2);
if ((size !== 'small' && size !== 'large') || (queryClass !== 'simple' && queryClass !== 'conditional') || !CONTENDERS.includes(name as ContenderName)) {
  throw new Error(`usage: timed.ts <small|large> <simple|conditional> <${CONTENDERS.join('|')}>`);
}
const row = await measure(`${size} ${queryClass}`, await contender(name as ContenderName, size, queryClass));
process.stdout.write(`${JSON.stringify({ ops: row.ops })}\n`);
