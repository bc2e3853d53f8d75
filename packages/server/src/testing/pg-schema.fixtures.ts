import pg from 'pg';

/** A PostgreSQL schema of a test's own: `url` connects into it (search_path), `drop()` removes it and everything in it. */
export interface TestSchema {
  readonly url: string;
  readonly drop: () => Promise<void>;
}

/**
 * Creates `rampart_<label>_<pid>_<ms>_<µs>` on the database `baseUrl` names, so suites running at once never share
 * tables (PostgreSQL lanes of every server test).
 */
export async function createTestSchema(baseUrl: string, label: string): Promise<TestSchema> {
  const schema = `rampart_${label}_${process.pid}_${Date.now()}_${Math.floor(performance.now() * 1000)}`;
  const admin = new pg.Pool({ connectionString: baseUrl, max: 1 });
  await admin.query(`CREATE SCHEMA "${schema}"`);
  const url = new URL(baseUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    url: url.toString(),
    drop: async () => {
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    },
  };
}
