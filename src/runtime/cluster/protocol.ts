import type { AddressInfo } from 'node:net';
import type { MetricObjectWithValues, MetricValue } from 'prom-client';
import type { Ban, BanChange } from '../../bans/index.js';
import type { WireDetection } from './detection-wire.js';
import type { NormalisedRequest } from '../../detect/types.js';

/** Detections and 404s a worker may have queued to the primary; more are dropped and counted. */
export const IPC_MAX_PENDING = 10_000;
/** A worker that does not answer a metrics scrape within this is left out of that scrape. */
export const SCRAPE_TIMEOUT_MS = 2_000;
/** A worker that exits unexpectedly is replaced after this delay (so a crash loop cannot spin). */
export const RESPAWN_DELAY_MS = 1_000;

export type Metric = MetricObjectWithValues<MetricValue<string>>;

/** What a worker tells the primary (structured clone: Dates survive). */
export type ToPrimary =
  | { ww: 'listening'; address: AddressInfo }
  | { ww: 'failed'; message: string }
  | { ww: 'detection'; detection: WireDetection }
  | { ww: 'not-found'; ip: string; request: NormalisedRequest; at: Date }
  | { ww: 'metrics'; id: number; metrics: Metric[] }
  | { ww: 'reloaded'; id: number; error?: string }
  /** Before listening: the bans in force, so a new worker never serves a banned address. */
  | { ww: 'need-bans' };

/** What the primary asks a worker. */
export type ToWorker =
  | { ww: 'metrics'; id: number }
  | { ww: 'reload'; id: number }
  | { ww: 'stop'; graceMs: number }
  | { ww: 'bans'; bans: Ban[] }
  | { ww: 'ban'; change: BanChange };

/** A worker that gets no ban list within this starts without one (and follows the changes). */
export const BANS_WAIT_MS = 5_000;
