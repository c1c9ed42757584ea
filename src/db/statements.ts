import type { SQL } from 'drizzle-orm';
import { PgDialect, type PgPreparedQuery, type PreparedQueryConfig } from 'drizzle-orm/pg-core';
import { type Database, rowsOf, type Transaction } from './client.js';

const dialect = new PgDialect();

/**
 * A statement of a hot path whose text is built once, at the first call, with `sql.placeholder` in
 * place of every value: building a statement of several CTEs with drizzle on every request cost
 * more CPU than sending it. It is prepared once per database, and once per transaction inside one
 * (a transaction has a client of its own). Both drivers take it: postgres.js keeps it as a named
 * prepared statement per connection, PGlite runs its text with the values bound.
 */
export function hotStatement<Values extends Record<string, unknown>, Row>(
  name: string,
  build: () => SQL,
): (db: Database | Transaction, values: Values) => Promise<Row[]> {
  let query: ReturnType<PgDialect['sqlToQuery']> | undefined;
  const prepared = new WeakMap<Database | Transaction, PgPreparedQuery<PreparedQueryConfig>>();
  return async (db, values) => {
    let statement = prepared.get(db);
    if (!statement) {
      query ??= dialect.sqlToQuery(build());
      statement = db._.session.prepareQuery(query, undefined, name, false);
      prepared.set(db, statement);
    }
    return rowsOf<Row>(await statement.execute(values));
  };
}
