import { execFileSync, execSync } from 'node:child_process';

export function recentCommits(branch: string): string {
  if (!/^[\w./-]+$/.test(branch) || branch.startsWith('-')) throw new Error('invalid branch name');
  return execFileSync('git', ['log', '--oneline', '-n', '20', '--end-of-options', branch], { cwd: '/srv/repo', encoding: 'utf8' });
}
