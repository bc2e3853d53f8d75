/*
 * Every README example that imports @rampart/core is run here, as a user would run it: copied to a file, executed by
 * a real child process against the built package. An example that no longer compiles, throws or exits non-zero fails
 * the suite, so the docs cannot drift from the code.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = join(packageRoot, '..', '..');
// Inside the repository's node_modules, so that `@rampart/core` resolves exactly as in a user's project.
const scratch = join(repoRoot, 'node_modules', '.cache', 'rampart-readme-examples');

function readmes(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' || entry.name === 'dist' ? [] : readmes(path);
    return entry.name === 'README.md' ? [path] : [];
  });
}

/** The ```ts blocks under headings that say "Example": those are promised to run as they stand. */
function examples(readme: string): string[] {
  const sections = readFileSync(readme, 'utf8').split(/^(?=#{1,6} )/m);
  return sections
    .filter((section) => /^#{1,6} .*example/i.test(section))
    .flatMap((section) => [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1] ?? ''));
}

const cases = readmes(packageRoot).flatMap((readme) =>
  examples(readme).map((code, index) => ({ name: `${relative(packageRoot, readme)} example ${index + 1}`, code })),
);

describe('README examples run', () => {
  it('every control README has a runnable example', () => {
    const withoutExample = readmes(join(packageRoot, 'src')).filter((readme) => examples(readme).length === 0);
    expect(withoutExample.map((readme) => relative(packageRoot, readme))).toEqual([]);
  });

  for (const example of cases) {
    it(example.name, async () => {
      mkdirSync(scratch, { recursive: true });
      const file = join(scratch, `${example.name.replace(/[^A-Za-z0-9]+/g, '-')}.mts`);
      // `export {}` makes the file a module, so examples may use top-level await.
      writeFileSync(file, `${example.code}\nexport {};\n`);
      let stderr: string;
      try {
        ({ stderr } = await run(process.execPath, ['--import', 'tsx', file], { cwd: repoRoot, timeout: 60_000 }));
      } catch (error) {
        // A fresh error with plain text: the child's own stack would point into a scratch file.
        const output = error as { stdout?: string; stderr?: string };
        throw new Error(`example failed\n--- stdout\n${output.stdout ?? ''}\n--- stderr\n${output.stderr ?? String(error)}`);
      }
      expect(stderr).not.toMatch(/Error/);
    });
  }
});
