import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { isSecretKey, redactText } from '@rampart/core/safe/log';
import { describe, expect, it } from 'vitest';

// The image's shape, checked without a Docker daemon: what would make the running container unsafe is a reviewable
// property of the file (who it runs as, what it bakes in, what it ships).
const repository = resolve(import.meta.dirname, '../../../..');

interface Instruction {
  readonly keyword: string;
  readonly args: string;
}

/** Instructions of a Dockerfile: comments dropped, `\` continuations joined. */
function instructions(text: string): Instruction[] {
  const joined = text
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('#'))
    .join('\n')
    .replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => {
      const space = line.search(/\s/);
      return space === -1 ? { keyword: line.toUpperCase(), args: '' } : { keyword: line.slice(0, space).toUpperCase(), args: line.slice(space).trim() };
    });
}

/** `KEY=value` pairs of an ENV or ARG instruction (unquoted values, as this repository writes them). */
function assignments(args: string): [string, string][] {
  return args.split(/\s+/).map((pair) => {
    const equals = pair.indexOf('=');
    return equals === -1 ? [pair, ''] : [pair.slice(0, equals), pair.slice(equals + 1)];
  });
}

/** What is wrong with a Dockerfile for this server; empty when nothing is. */
function dockerfileProblems(text: string): string[] {
  const all = instructions(text);
  const problems: string[] = [];
  const stages = all.filter((instruction) => instruction.keyword === 'FROM');
  if (stages.length < 2) problems.push('not multi-stage: the toolchain and dev dependencies would ship');
  const finalStart = all.lastIndexOf(stages.at(-1) ?? { keyword: '', args: '' });
  const final = all.slice(finalStart);
  const globalArgs = new Map(all.slice(0, all.indexOf(stages[0] ?? { keyword: '', args: '' })).filter((i) => i.keyword === 'ARG').flatMap((i) => assignments(i.args)));
  const baseImage = (stages.at(-1)?.args.split(/\s+/)[0] ?? '').replace(/^\$\{(\w+)\}$/, (_match, name: string) => globalArgs.get(name) ?? '');
  if (!/^node:20[\w.-]*-slim$|^gcr\.io\/distroless\/nodejs20/.test(baseImage)) problems.push(`runtime base is not a minimal Node 20 image: ${baseImage}`);

  const user = final.filter((i) => i.keyword === 'USER').at(-1)?.args.split(':')[0];
  if (user === undefined) problems.push('runtime stage has no USER: the server would run as root');
  else if (user === 'root' || user === '0') problems.push('runtime stage runs as root');

  const healthcheck = final.find((i) => i.keyword === 'HEALTHCHECK');
  if (healthcheck === undefined || !healthcheck.args.includes('/readyz')) problems.push('no HEALTHCHECK against /readyz');

  for (const { keyword, args } of all.filter((i) => i.keyword === 'ENV' || i.keyword === 'ARG')) {
    for (const [name, value] of assignments(args)) {
      if (name === 'RAMPART_KEK' || isSecretKey(name)) problems.push(`${keyword} ${name}: secrets are passed at run time, never baked into an image`);
      else if (redactText(value) !== value) problems.push(`${keyword} ${name} holds what looks like a secret`);
    }
  }

  const runs = all.filter((i) => i.keyword === 'RUN').map((i) => i.args);
  if (!runs.some((run) => /\bnpm ci\b[^&;]*--omit=dev/.test(run))) problems.push('no `npm ci --omit=dev`: dev dependencies would ship');
  if (final.some((i) => i.keyword === 'RUN' && /\bnpm (ci|install|i)\b/.test(i.args) && !i.args.includes('--omit=dev'))) problems.push('runtime stage installs dev dependencies');
  if (final.some((i) => i.keyword === 'COPY' && /--from=build\b/.test(i.args) && /node_modules/.test(i.args))) problems.push('runtime copies node_modules from the build stage (dev dependencies)');

  const env = new Map(final.filter((i) => i.keyword === 'ENV').flatMap((i) => assignments(i.args)));
  if (env.get('RAMPART_HOST') !== '0.0.0.0') problems.push('RAMPART_HOST is not 0.0.0.0: the server would listen on the container loopback only');
  const dataDir = env.get('RAMPART_DATA_DIR');
  const volumes = final.filter((i) => i.keyword === 'VOLUME').map((i) => i.args);
  if (dataDir === undefined || !volumes.some((volume) => volume.includes(`"${dataDir}"`) || volume.split(/\s+/).includes(dataDir))) problems.push('the data directory is not a VOLUME');

  for (const keyword of ['ENTRYPOINT', 'CMD']) {
    const form = final.filter((i) => i.keyword === keyword).at(-1);
    if (form !== undefined && !form.args.startsWith('[')) problems.push(`${keyword} in shell form: SIGTERM would reach the shell, not the server`);
  }
  if (all.some((i) => i.keyword === 'ADD' && /https?:\/\//.test(i.args))) problems.push('ADD from a URL: unverified download');
  return problems;
}

describe('the Dockerfile', () => {
  const text = readFileSync(resolve(repository, 'Dockerfile'), 'utf8');

  it('is multi-stage, runs as a non-root user on a minimal Node 20 image, checks /readyz, and bakes in no secret', () => {
    expect(dockerfileProblems(text)).toEqual([]);
    const final = instructions(text).slice(instructions(text).findLastIndex((i) => i.keyword === 'FROM'));
    expect(final.find((i) => i.keyword === 'USER')?.args).toBe('10001:10001');
  });

  it('the check finds each unsafe shape (it is not a check that cannot fail)', () => {
    const replace = (from: string | RegExp, to: string): string[] => {
      const changed = text.replace(from, to);
      expect(changed).not.toBe(text);
      return dockerfileProblems(changed);
    };
    expect(replace(/^USER .*$/m, 'USER root')).toContain('runtime stage runs as root');
    expect(replace(/^USER .*$/m, 'USER 0:0')).toContain('runtime stage runs as root');
    expect(replace(/^USER .*$/m, '')).toContain('runtime stage has no USER: the server would run as root');
    expect(replace(/^HEALTHCHECK[^\n]*\\\n[^\n]*\n/m, '')).toContain('no HEALTHCHECK against /readyz');
    expect(replace('RAMPART_LOG_LEVEL=info', `RAMPART_LOG_LEVEL=info RAMPART_KEK=${'a'.repeat(64)}`).some((p) => p.startsWith('ENV RAMPART_KEK'))).toBe(true);
    expect(replace('RAMPART_LOG_LEVEL=info', 'RAMPART_LOG_LEVEL=info DB_PASSWORD=hunter2').some((p) => p.startsWith('ENV DB_PASSWORD'))).toBe(true);
    expect(replace('ARG NODE_IMAGE=node:20-bookworm', 'ARG NODE_IMAGE=node:20-bookworm\nARG API_TOKEN').some((p) => p.startsWith('ARG API_TOKEN'))).toBe(true);
    expect(replace('RAMPART_LOG_LEVEL=info', 'RAMPART_LOG_LEVEL=info RAMPART_DATABASE_URL=postgres://rampart:s3cret@db/rampart').some((p) => p.includes('looks like a secret'))).toBe(true);
    expect(replace(/--omit=dev /g, '')).toContain('no `npm ci --omit=dev`: dev dependencies would ship');
    expect(replace('RAMPART_HOST=0.0.0.0', 'RAMPART_HOST=127.0.0.1')).toContain('RAMPART_HOST is not 0.0.0.0: the server would listen on the container loopback only');
    expect(replace(/^VOLUME .*$/m, '')).toContain('the data directory is not a VOLUME');
    expect(replace('ENTRYPOINT ["node", "/app/packages/cli/dist/bin.js"]', 'ENTRYPOINT node /app/packages/cli/dist/bin.js')).toContain('ENTRYPOINT in shell form: SIGTERM would reach the shell, not the server');
    expect(replace('ARG NODE_RUNTIME_IMAGE=node:20-bookworm-slim', 'ARG NODE_RUNTIME_IMAGE=node:20-bookworm')).toContain('runtime base is not a minimal Node 20 image: node:20-bookworm');
    expect(replace('COPY --from=build /app/packages/cli/dist packages/cli/dist', 'COPY --from=build /app/node_modules node_modules')).toContain('runtime copies node_modules from the build stage (dev dependencies)');
    expect(dockerfileProblems(text.replace(/^FROM .* AS (build|deps)$/gm, '# removed'))).toContain('not multi-stage: the toolchain and dev dependencies would ship');
  });

  it('builds from an allowlist context: no data directory, key, .env or node_modules reaches the build', () => {
    const lines = readFileSync(resolve(repository, '.dockerignore'), 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'));
    expect(lines[0]).toBe('*');
    expect(lines.filter((line) => line.startsWith('!'))).toEqual(['!package.json', '!package-lock.json', '!tsconfig.base.json', '!packages/']);
    for (const excluded of ['**/node_modules', '**/dist', '**/.rampart', '**/.env', '**/.env.*', '**/*.key', '**/*.pem']) expect(lines).toContain(excluded);
  });
});
