declare module 'fs-native-extensions' {
  /**
   * Takes a lock on a byte range of `fd` (the whole file by default) without waiting: true if taken,
   * false if a conflicting lock is held. Exclusive unless `shared` is set.
   */
  export function tryLock(fd: number, offset?: number, length?: number, options?: { shared?: boolean }): boolean;
  export function tryLock(fd: number, options?: { shared?: boolean }): boolean;
}
