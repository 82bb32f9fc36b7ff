import { open, stat, type FileHandle } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

export interface FollowHandlers {
  /** New bytes, in file order. */
  onData(chunk: Buffer): void;
  /** The file shrank under us (copytruncate): reading restarts at 0. */
  onTruncate(): void;
  /** The name now points at a new file (rename + create): the old one was read to its end first. */
  onRotate(): void;
  /** Reached the end of the file for now. */
  onIdle(): void;
}

/** How often a followed file is checked for growth, truncation and rotation. */
export const FOLLOW_INTERVAL_MS = 250;
const READ_BYTES = 64 * 1024;

/**
 * Follows a file by name like `tail -F`, from its start: reads to the end, then polls. A rename
 * and re-create (logrotate's default) is noticed by the name pointing at a different inode; the
 * old file is read to its end before switching. A truncation (`copytruncate`) is noticed by the
 * size dropping below what was read. A missing file is waited for. Stops when `signal` aborts.
 */
export async function followFile(path: string, handlers: FollowHandlers, signal: AbortSignal, intervalMs = FOLLOW_INTERVAL_MS): Promise<void> {
  let handle = await openWhenPresent(path, signal, intervalMs);
  if (!handle) return;
  const buffer = Buffer.allocUnsafe(READ_BYTES);
  let position = 0;
  try {
    while (!signal.aborted) {
      position = await drain(handle, position, buffer, handlers);
      handlers.onIdle();
      if (!(await pause(intervalMs, signal))) break;
      const current = await handle.stat();
      if (current.size < position) {
        position = 0;
        handlers.onTruncate();
        continue;
      }
      const named = await stat(path).catch(() => null);
      if (named && (named.ino !== current.ino || named.dev !== current.dev)) {
        await drain(handle, position, buffer, handlers);
        await handle.close();
        handlers.onRotate();
        const next = await openWhenPresent(path, signal, intervalMs);
        if (!next) break;
        handle = next;
        position = 0;
      }
    }
  } finally {
    await handle.close().catch(() => undefined);
  }
}

async function drain(handle: FileHandle, position: number, buffer: Buffer, handlers: FollowHandlers): Promise<number> {
  for (;;) {
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
    if (bytesRead === 0) return position;
    handlers.onData(Buffer.from(buffer.subarray(0, bytesRead)));
    position += bytesRead;
  }
}

async function openWhenPresent(path: string, signal: AbortSignal, intervalMs: number): Promise<FileHandle | null> {
  while (!signal.aborted) {
    try {
      return await open(path, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (!(await pause(intervalMs, signal))) break;
  }
  return null;
}

/** Waits; false when aborted meanwhile. */
async function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  try {
    await sleep(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}
