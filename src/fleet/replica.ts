import { hostname } from 'node:os';
import type { Options } from '../config/options.js';

/** The replica's name: `--replica-name`, else the host name (a pod's name), cut to a key-safe form. */
export function replicaNameOf(options: Pick<Options, 'replicaName'>): string {
  return options.replicaName ?? (hostname().replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 63) || 'replica');
}
