import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** The payloads of `corpus/<name>.txt`: one per line, `#` lines are comments naming the source. */
export function readCorpus(name: 'traversal' | 'symlink' | 'benign'): string[] {
  return readFileSync(new URL(`./corpus/${name}.txt`, import.meta.url), 'utf8')
    .split(/\r?\n/)
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/** A real directory tree in a fresh temp directory: a served root, and secrets next to it that must never be read. */
export interface TestTree {
  readonly base: string;
  readonly root: string;
  /** Content of every file outside the root (and of `.env` inside it). Unique per run. */
  readonly secret: string;
  /** Content of `root/report.pdf`. */
  readonly report: string;
  cleanup(): Promise<void>;
}

export async function createTree(): Promise<TestTree> {
  const base = await mkdtemp(join(tmpdir(), 'rampart-path-'));
  const root = join(base, 'root');
  const secret = `SECRET-${randomUUID()}`;
  const report = `%PDF-1.4 report ${randomUUID()}`;
  const file = async (path: string, content: string) => {
    await mkdir(dirname(join(base, path)), { recursive: true });
    await writeFile(join(base, path), content);
  };
  const link = (target: string, path: string) => symlink(target, join(base, path));

  await file('secret.txt', secret);
  await file('outside/secret.pdf', secret);
  await file('outside/file.pdf', secret);
  await file('root-evil/secret.pdf', secret);
  await file('root/report.pdf', report);
  await file('root/public/report.pdf', report);
  await file('root/public/notes.txt', 'notes');
  await file('root/public/deep/er/still/inside.pdf', report);
  for (const name of ['Ünïcödé Rëport.pdf', '50% off.pdf', 'a b c.pdf', 'file..pdf', 'version-1.2.3.tar.gz', 'x']) {
    await file(`root/${name}`, report);
  }
  await file('root/.env', secret);
  await file('root/page.html', '<script>alert(document.domain)</script>');
  await file('root/docs/file.pdf', report);
  await mkdir(join(root, 'subdir'));

  await link('report.pdf', 'root/link-inside.pdf');
  await link('../secret.txt', 'root/link-out.txt');
  await link('../outside/secret.pdf', 'root/link-out.pdf');
  await link('link-out.pdf', 'root/link-chain.pdf');
  await link(join(base, 'outside/secret.pdf'), 'root/link-absolute.pdf');
  await link('../outside', 'root/dir-out');
  await link('../..', 'root/public/up');
  await link('/', 'up');
  await link('../root-evil/secret.pdf', 'root/link-evil.pdf');
  await link('../root-evil', 'root/dir-evil');
  await link('.env', 'root/link-dot.pdf');
  await link('page.html', 'root/link-html.pdf');
  await link('loop.pdf', 'root/loop.pdf');
  await link('nowhere.pdf', 'root/dangling.pdf');
  const fifo = spawnSync('mkfifo', [join(root, 'fifo.pdf')]);
  if (fifo.status !== 0) throw new Error('mkfifo failed');

  return { base, root, secret, report, cleanup: () => rm(base, { recursive: true, force: true }) };
}
