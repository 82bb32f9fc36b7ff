import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Replaces `path` by `data` so that a reader (nginx reloading, a timer's next run) sees the old
 * file or the new one, never part of one: written to a temporary file in the same directory
 * (same filesystem, so the rename is atomic), flushed to disk, then renamed over `path`, and the
 * directory flushed so the rename outlives a power cut. The temporary name starts with a dot and
 * ends in `.tmp`, so no `include …/*.conf` ever picks it up. On failure it is removed and `path`
 * is left as it was. Twenty lines of our own rather than write-file-atomic: no new dependency.
 */
export async function writeFileAtomic(path: string, data: string, mode = 0o644): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const file = await open(tmp, 'wx', mode);
    try {
      await file.writeFile(data);
      // The umask may have narrowed the mode open() was given; nginx's workers read as another user.
      await file.chmod(mode);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  await syncDirectory(dir);
}

async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Some filesystems refuse to fsync a directory; the rename itself has happened.
  }
}
