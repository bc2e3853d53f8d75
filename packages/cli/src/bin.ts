#!/usr/bin/env node
import { run } from './main.js';

const stopSignal = new Promise<string>((resolve) => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => { resolve(signal); });
});
process.exitCode = await run(process.argv.slice(2), {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  env: process.env,
  cwd: process.cwd(),
  stopSignal,
});
// Signal listeners and idle pools must not keep a finished command alive.
process.exit();
