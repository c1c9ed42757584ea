import { closeSync, constants, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const LOCK_FILE = 'palisade.lock';

/** How long a refused process waits for the holder to record its pid, which it does right after locking. */
const HOLDER_PID_ATTEMPTS = 20;
const HOLDER_PID_INTERVAL_MS = 10;

export class DataDirInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly holderPid: number | undefined,
  ) {
    const holder = holderPid === undefined ? 'another process' : `process ${holderPid}`;
    super(
      `the embedded database in ${dataDir} is in use by ${holder}; one process may open a data directory at a time`,
    );
  }
}

export type DataDirLock = { release(): void };

function recordedPid(lockPath: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(lockPath, 'utf8').trim();
  } catch {
    // Where the lock also bars reading (LockFileEx on Windows) the refusal goes without the pid.
    return undefined;
  }
  return /^\d+$/.test(text) ? Number(text) : undefined;
}

/**
 * Makes this handle the only owner of the embedded data directory, or throws `DataDirInUseError`.
 *
 * The lock is the kernel's, on `palisade.lock` in the directory: an open-file-description lock
 * (fcntl F_OFD_SETLK) on Linux, flock on macOS, LockFileEx on Windows. The kernel grants it to one
 * open file at a time, so of processes starting together exactly one wins; it conflicts with a second
 * open in the same process too; and it goes when its holder's file is closed, by `release` or by the
 * process dying however it dies, so a crash leaves nothing to clean up. The file's content is only
 * the holder's pid, written after the lock is taken, for the refusal message; it decides nothing.
 */
export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  // Loaded here, not at the top: a process on PostgreSQL never needs the native addon.
  const { tryLock } = await import('fs-native-extensions');
  const absoluteDir = resolve(dataDir);
  const lockPath = join(absoluteDir, LOCK_FILE);
  const fd = openSync(lockPath, constants.O_RDWR | constants.O_CREAT, 0o600);
  let locked: boolean;
  try {
    locked = tryLock(fd);
  } catch (error) {
    closeSync(fd);
    throw error;
  }

  if (!locked) {
    closeSync(fd);
    let holderPid = recordedPid(lockPath);
    for (let attempt = 1; holderPid === undefined && attempt < HOLDER_PID_ATTEMPTS; attempt++) {
      await sleep(HOLDER_PID_INTERVAL_MS);
      holderPid = recordedPid(lockPath);
    }
    throw new DataDirInUseError(absoluteDir, holderPid);
  }

  try {
    ftruncateSync(fd, 0);
    writeSync(fd, `${process.pid}\n`, 0);
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  let released = false;
  return {
    release: () => {
      if (released) return;
      released = true;
      // The file stays: unlinking it would let a newcomer lock a fresh file while another still
      // holds the unlinked one. Emptying it means a pid is left behind only by a crash.
      ftruncateSync(fd, 0);
      closeSync(fd);
    },
  };
}
