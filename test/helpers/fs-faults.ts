/**
 * Real file-system faults for the disk tests: a tiny tmpfs that fills up (ENOSPC) and a
 * read-only bind mount (EROFS). Both need mount(2), so the tests run as root (CI does); without
 * it they fail with one line saying so, never with a stack trace.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function mount(args: string[]): void {
  try {
    execFileSync('mount', args, { stdio: 'pipe' });
  } catch (err) {
    const why = String((err as { stderr?: Buffer }).stderr ?? (err as Error).message).trim();
    throw new Error(`this test mounts a tmpfs or a read-only bind mount to make real disk faults: run the suite as root (as CI does). mount said: ${why}`);
  }
}

export interface Mounted {
  path: string;
  /** Makes the mount read-only (`true`) or writable again. */
  readOnly(on: boolean): void;
  remove(): void;
}

/** A fresh tmpfs of `kib` KiB; it fills up like a full disk. */
export function tinyFilesystem(kib: number): Mounted {
  const path = mkdtempSync(join(tmpdir(), 'wormwatch-fs-'));
  mount(['-t', 'tmpfs', '-o', `size=${kib}k`, 'tmpfs', path]);
  return {
    path,
    readOnly: (on) => mount(['-o', `remount,${on ? 'ro' : 'rw'}`, path]),
    remove() {
      execFileSync('umount', ['-l', path]);
      rmSync(path, { recursive: true, force: true });
    },
  };
}
