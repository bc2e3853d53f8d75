import { spawn } from 'node:child_process';
import { mkdir, readFile, realpath, rename, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../errors.js';
import { openWithin, PathError, type PathErrorCode } from './index.js';
import { openChecked, resolveWithin } from './open.js';
import { createTree, readCorpus, type TestTree } from './tree.fixtures.js';

let tree: TestTree;
beforeAll(async () => {
  tree = await createTree();
});
afterAll(async () => {
  await tree.cleanup();
});

/** Opens through openWithin and reads; returns the content or the refusal code. Fails if a secret is ever read. */
async function attempt(userPath: string, root = tree.root): Promise<string> {
  let content: string;
  try {
    const handle = await openWithin(root, userPath);
    try {
      content = await handle.readFile('utf8');
    } finally {
      await handle.close();
    }
  } catch (error) {
    if (error instanceof PathError) return error.code;
    throw error;
  }
  expect(content).not.toContain(tree.secret);
  return content;
}

describe('openWithin against a real directory tree', () => {
  it('refuses every traversal payload of the corpus, and reads nothing outside the root', async () => {
    const payloads = readCorpus('traversal');
    const outcomes = await Promise.all(payloads.map(async (payload) => ({ payload, outcome: await attempt(payload) })));
    for (const { payload, outcome } of outcomes) expect(outcome, payload).toMatch(/^PATH_/);
  });

  it('refuses every symbolic-link escape of the corpus with PATH_OUTSIDE_ROOT', async () => {
    for (const payload of readCorpus('symlink')) {
      expect(await attempt(payload), payload).toBe('PATH_OUTSIDE_ROOT');
    }
  });

  it('baseline: the symbolic-link payloads really do reach the secret through a plain join + readFile', async () => {
    for (const payload of readCorpus('symlink').filter((path) => !path.includes('etc/passwd'))) {
      expect(await readFile(join(tree.root, payload), 'utf8'), payload).toBe(tree.secret);
    }
  });

  it('opens files inside the root, through links that stay inside too', async () => {
    expect(await attempt('report.pdf')).toBe(tree.report);
    expect(await attempt('public/deep/er/still/inside.pdf')).toBe(tree.report);
    expect(await attempt('link-inside.pdf')).toBe(tree.report);
    for (const name of readCorpus('benign').filter((path) => !path.startsWith('public/'))) {
      expect(await attempt(name), name).toBe(tree.report);
    }
  });

  it.each([
    ['link-dot.pdf', 'PATH_HIDDEN'],
    ['.env', 'PATH_HIDDEN'],
    ['subdir', 'PATH_NOT_A_FILE'],
    ['fifo.pdf', 'PATH_NOT_A_FILE'],
    ['loop.pdf', 'PATH_NOT_FOUND'],
    ['dangling.pdf', 'PATH_NOT_FOUND'],
    ['missing.pdf', 'PATH_NOT_FOUND'],
    ['report.pdf/x', 'PATH_NOT_FOUND'],
  ] as const)('%s → %s', async (userPath, code: PathErrorCode) => {
    expect(await attempt(userPath)).toBe(code);
  });

  it('reads a hidden file through a link only when dotfiles are allowed by name', async () => {
    const handle = await openWithin(tree.root, 'link-dot.pdf', { allowDotFiles: true });
    await handle.close();
  });

  it('accepts a root that is itself a symbolic link', async () => {
    const alias = join(tree.base, 'root-alias');
    await symlink(tree.root, alias);
    expect(await attempt('report.pdf', alias)).toBe(tree.report);
    expect(await attempt('link-out.pdf', alias)).toBe('PATH_OUTSIDE_ROOT');
  });

  it('treats a missing root as a configuration error', async () => {
    await expect(openWithin(join(tree.base, 'no-such-root'), 'report.pdf')).rejects.toBeInstanceOf(ConfigurationError);
  });
});

describe('openWithin: a symbolic link swapped in between check and open (TOCTOU)', () => {
  it('baseline: "realpath, check, then readFile(path)" reads the secret when the file is swapped in between', async () => {
    const victim = join(tree.root, 'naive.pdf');
    await writeFile(victim, tree.report);
    const checked = await realpath(victim);
    expect(checked.startsWith(`${await realpath(tree.root)}/`)).toBe(true);
    await unlink(victim);
    await symlink('../secret.txt', victim);
    expect(await readFile(checked, 'utf8')).toBe(tree.secret);
  });

  it('refuses when the last component becomes a link after the check (O_NOFOLLOW)', async () => {
    const victim = join(tree.root, 'swap-last.pdf');
    await writeFile(victim, tree.report);
    const resolved = await resolveWithin(tree.root, 'swap-last.pdf');
    await unlink(victim);
    await symlink('../secret.txt', victim);
    await expect(openChecked(resolved)).rejects.toMatchObject({ code: 'PATH_OUTSIDE_ROOT' });
  });

  it('refuses when a parent directory becomes a link after the check (descriptor verified after open)', async () => {
    await mkdir(join(tree.root, 'swap-dir'));
    await writeFile(join(tree.root, 'swap-dir', 'file.pdf'), tree.report);
    const resolved = await resolveWithin(tree.root, 'swap-dir/file.pdf');
    await rename(join(tree.root, 'swap-dir'), join(tree.root, 'swap-dir-old'));
    await symlink('../outside', join(tree.root, 'swap-dir'));
    await expect(openChecked(resolved)).rejects.toMatchObject({ code: 'PATH_OUTSIDE_ROOT' });
  });

  it('never reads the secret while another process keeps swapping files and directories for links', async () => {
    await mkdir(join(tree.root, 'race-dir'));
    await writeFile(join(tree.root, 'race-dir', 'file.pdf'), tree.report);
    await writeFile(join(tree.root, 'race.pdf'), tree.report);
    // A real attacker process: atomically replaces race.pdf with a link out and back, and race-dir with a link to a
    // directory outside (whose file.pdf holds the secret) and back, as fast as it can.
    const script = `
      const fs = require('node:fs');
      process.chdir(process.argv[1]);
      process.stdout.write('ready\\n');
      for (let i = 0; ; i++) {
        fs.symlinkSync('../secret.txt', 'race.tmp-link'); fs.renameSync('race.tmp-link', 'race.pdf');
        fs.writeFileSync('race.tmp-file', process.argv[2]); fs.renameSync('race.tmp-file', 'race.pdf');
        fs.symlinkSync('../outside', 'race-dir.tmp'); fs.renameSync('race-dir', 'race-dir.real'); fs.renameSync('race-dir.tmp', 'race-dir');
        fs.unlinkSync('race-dir'); fs.renameSync('race-dir.real', 'race-dir');
      }`;
    const attacker = spawn(process.execPath, ['-e', script, tree.root, tree.report], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      await new Promise<void>((ready) => attacker.stdout.once('data', () => { ready(); }));
      const outcomes = new Map<string, number>();
      for (let round = 0; round < 150; round++) {
        for (const userPath of ['race.pdf', 'race-dir/file.pdf']) {
          const outcome = await attempt(userPath);
          const key = outcome === tree.report ? 'read inside file' : outcome;
          outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
        }
      }
      expect([...outcomes.keys()].every((key) => key === 'read inside file' || key.startsWith('PATH_'))).toBe(true);
    } finally {
      attacker.kill();
      await new Promise((exited) => attacker.once('exit', exited));
      await rm(join(tree.root, 'race-dir.real'), { recursive: true, force: true });
    }
  });
});
