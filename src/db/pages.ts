/** One page of a keyset-paginated list, and whether rows follow it. */
export type Page<T> = { items: T[]; hasMore: boolean };

/**
 * Reads a page of at most `limit` rows: `read` is asked for one row more than the page holds, and
 * that row, when there, only says that another page follows.
 */
export async function keysetPage<Row, Item = Row>(
  limit: number,
  read: (rowsWanted: number) => Promise<Row[]>,
  toItem: (row: Row) => Item = (row) => row as unknown as Item,
): Promise<Page<Item>> {
  const rows = await read(limit + 1);
  return { items: rows.slice(0, limit).map(toItem), hasMore: rows.length > limit };
}
