import { sql } from 'drizzle-orm';
import { getTableConfig } from 'drizzle-orm/pg-core';
import { describe, expect, it } from 'vitest';
import { rowsOf } from '../src/db/client.js';
import { httpBackend } from './support/database.js';
import { useHarness } from './support/harness.js';
import { schemaTables, snapshot } from './support/security.js';

const harness = useHarness(httpBackend);

describe('snapshot()', () => {
  it('reads every table the migrations create, drizzle’s own bookkeeping aside', async () => {
    const h = harness();
    const created = rowsOf<{ table_name: string }>(
      await h.scratch.handle.db.execute(sql`
        select table_name from information_schema.tables
        where table_type = 'BASE TABLE'
          and table_schema not in ('pg_catalog', 'information_schema', 'drizzle')
          and table_schema not like 'pg\\_%'
        order by table_name`),
    ).map((row) => row.table_name);
    const snapshotted = [...schemaTables.values()].map((table) => getTableConfig(table).name).sort();
    expect(snapshotted).toEqual(created);
    expect(Object.keys(await snapshot(h)).sort()).toEqual([...schemaTables.keys()].sort());
  });
});
