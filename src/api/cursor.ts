import { FEED_START, type FeedPosition } from '../db/events.js';
import { invalidRequest } from '../domain/refusal.js';
import { isStorableText } from './schemas.js';

/**
 * The one codec of the API's cursors: opaque to clients, the base64url of a JSON value that is
 * checked on its way back, since a client may send anything.
 */
function encode(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** The value `cursor` carries if `read` accepts it; anything else is a 400 naming `param`. */
function decode<T>(cursor: string, param: string, read: (value: unknown) => T | undefined): T {
  try {
    const value = read(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    if (value !== undefined) return value;
  } catch {
    // Falls through to the 400 below: the client sent something that no page ever returned.
  }
  throw invalidRequest('The cursor is not one this API returned.', [{ path: param, message: 'invalid cursor' }]);
}

/** A list's answer: the page's items, and the cursor after its last item while more follow. */
export function listPage<Row, Item>(
  page: { items: Row[]; hasMore: boolean },
  toItem: (row: Row) => Item,
  cursorOf: (row: Row) => string | number,
): { items: Item[]; next_cursor: string | null } {
  const last = page.items.at(-1);
  return {
    items: page.items.map(toItem),
    next_cursor: page.hasMore && last !== undefined ? encode({ v: cursorOf(last) }) : null,
  };
}

/** Decodes a list's cursor made by `listPage`; anything else is a 400. */
export function decodeCursor<T extends 'string' | 'number'>(
  cursor: string | undefined,
  kind: T,
): (T extends 'string' ? string : number) | null {
  if (cursor === undefined) return null;
  return decode(cursor, 'query.cursor', (parsed) => {
    const { v } = parsed as { v?: unknown };
    const valid = kind === 'number' ? Number.isSafeInteger(v) : typeof v === 'string' && isStorableText(v);
    return valid ? (v as T extends 'string' ? string : number) : undefined;
  });
}

/** The event feed's cursor: a position in the feed. */
export function encodeFeedCursor(position: FeedPosition): string {
  return encode([position.txid, position.id]);
}

/** The feed position of an `after` cursor made by `encodeFeedCursor`; absent or empty: the start. */
export function decodeFeedCursor(cursor: string | undefined): FeedPosition {
  if (cursor === undefined || cursor === '') return FEED_START;
  return decode(cursor, 'query.after', (parsed) => {
    const [txid, id] = parsed as unknown[];
    const valid = Number.isSafeInteger(txid) && typeof id === 'string' && /^(evt_[0-9a-f]{28})?$/.test(id);
    return valid ? { txid: txid as number, id } : undefined;
  });
}
