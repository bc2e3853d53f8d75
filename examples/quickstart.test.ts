/*
 * `npm run tour` is the first thing a newcomer runs after `npm start`: it must finish, and every attack it demonstrates must be refused.
 */
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));

it('the quick start tour runs and every attack in it is refused', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', join(here, 'quickstart.ts')], {
    cwd: join(here, '..'),
    timeout: 60_000,
  });
  const attacks = stdout.split('\n').filter((line) => line.includes('attack —'));
  expect(attacks.length).toBeGreaterThanOrEqual(5);
  for (const line of attacks) expect(line).toMatch(/refused \(/);
  expect(stdout).toContain('id before login differs from id after: true');
  expect(stdout).toContain('never reaches the hasher');
  expect(stdout).not.toContain('accepted — the family');
});
