// Worker thread of `review`: hosts one shard of the files (their ASTs stay here for the whole review) and analyses
// modules round by round; only summaries and findings cross back to the main thread.
import { parentPort, workerData } from 'node:worker_threads';
import { loadEngine } from './engine-module.js';
import { ModuleHost } from './host.js';
import type { RoundRequest, WorkerMessage, WorkerSetup } from './protocol.js';

const port = parentPort;
if (port === null) throw new Error('module-worker must run in a worker thread');
const setup = workerData as WorkerSetup;

const post = (message: WorkerMessage): void => { port.postMessage(message); };

try {
  const engine = await loadEngine(setup.engineModule);
  const host = new ModuleHost(engine, setup.rules, setup.sources, setup.files);
  port.on('message', (request: RoundRequest) => {
    host.updateSummaries(request.summaries);
    for (const file of request.modules) post({ type: 'outcome', round: request.round, outcome: host.analyze(file) });
    post({ type: 'round-done', round: request.round });
  });
} catch (error) {
  post({ type: 'fatal', message: error instanceof Error ? error.message : String(error) });
}
