import { Worker } from 'node:worker_threads';

/**
 * Starts a worker thread on the module beside `caller` named `basename` (`.js` in the build, `.ts` when the caller runs
 * from source — the repository's own tests and benchmarks, under tsx).
 *
 * From source the worker needs tsx's loader registered inside the thread: `execArgv: ['--import', 'tsx']` does not reach
 * a worker's module loader on Node 20.
 */
export function startModuleWorker(caller: string, basename: string, workerData?: unknown): Worker {
  const fromSource = caller.endsWith('.ts');
  const url = new URL(`./${basename}${fromSource ? '.ts' : '.js'}`, caller);
  if (!fromSource) return new Worker(url, { workerData });
  const bootstrap = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(url.href)}); })`;
  return new Worker(bootstrap, { eval: true, workerData });
}
