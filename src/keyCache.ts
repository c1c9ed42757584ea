/**
 * How long a key's owner is remembered. A revocation takes effect at once on every replica that
 * hears of it (see WatchHub), and within this long on one that missed the notification.
 */
export const KEY_CACHE_TTL_MS = 2_000;
