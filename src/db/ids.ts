import { randomBytes } from 'node:crypto';

/** Ids that sort by creation time (milliseconds, then random), so lists page newest first by id. */
export const newId = (prefix: string) =>
  `${prefix}_${Date.now().toString(16).padStart(12, '0')}${randomBytes(8).toString('hex')}`;
