import { setFlagsFromString } from 'node:v8';
import { type Config, ConfigError, loadConfig } from '../config.js';
import { openDatabase, runMigrations } from '../db/client.js';
import { CliError, EXIT, parse, say, wholeNumber } from './common.js';

export const SERVE_HELP = `Usage: palisade serve [--port N] [--host ADDRESS]

Starts the service exactly as \`npm start\` does: configuration from the environment (DATABASE_URL,
PALISADE_ADMIN_TOKEN, PALISADE_DATA_DIR, … as the README lists), migrations at start-up, JSON logs
on stdout; SIGTERM or SIGINT drains and exits 0.

Options:
  --port N               port to listen on (overrides $PORT; default 8080, 0 picks a free one)
  --host ADDRESS         address to listen on (overrides $HOST; default 0.0.0.0)
  -h, --help             show this help
`;

export async function serve(args: string[]): Promise<number | 'running'> {
  const { values } = parse('serve', args, { port: { type: 'string' }, host: { type: 'string' } }, false);
  if (values.help) {
    process.stdout.write(SERVE_HELP);
    return EXIT.ok;
  }
  const port = wholeNumber('serve', 'port', values.port);
  if (port !== undefined) process.env.PORT = String(port);
  if (values.host !== undefined) process.env.HOST = values.host;
  // The old generation's growth bound that `npm start` passes on node's command line (the young
  // generation's can only be set there): the heap otherwise grows to several times what is live
  // under load, peaking near 190 MB instead of 130 MB at 32 concurrent requests.
  setFlagsFromString('--heap-growing-percent=50');
  // src/index.ts is the service's entry point: importing it starts the server with its own
  // configuration checks, logging and signal handling, so `serve` and `npm start` cannot drift.
  await import('../index.js');
  return 'running';
}

export const MIGRATE_HELP = `Usage: palisade migrate

Applies the migrations in drizzle/ to the database the service would use (DATABASE_URL, else the
embedded database in PALISADE_DATA_DIR, default ./data) and exits. On PostgreSQL they run under the
same advisory lock as at service start-up, so this is safe while replicas start.

Options:
  -h, --help             show this help
`;

export async function migrate(args: string[]): Promise<number> {
  const { values } = parse('migrate', args, {}, false);
  if (values.help) {
    process.stdout.write(MIGRATE_HELP);
    return EXIT.ok;
  }
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message);
    throw error;
  }
  try {
    if (config.databaseUrl) {
      await runMigrations({ kind: 'postgres', url: config.databaseUrl });
      say('migrate: migrations applied to PostgreSQL');
    } else {
      // PGlite migrates on open; one process may hold the data directory at a time.
      const database = await openDatabase({ kind: 'pglite', dataDir: config.dataDir });
      await database.close();
      say(`migrate: migrations applied to the embedded database in ${config.dataDir}`);
    }
  } catch (error) {
    throw new CliError(`migrate: failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  return EXIT.ok;
}
