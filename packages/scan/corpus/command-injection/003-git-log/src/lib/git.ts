import { execFileSync, execSync } from 'node:child_process';

export function recentCommits(branch: string): string {
  return execSync(`git log --oneline -n 20 ${branch}`, { cwd: '/srv/repo', encoding: 'utf8' });
}
