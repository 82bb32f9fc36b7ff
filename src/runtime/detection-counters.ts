import type { Counter } from 'prom-client';
import type { DetectionEvent } from '../detect/detection.js';
import type { Signature } from '../detect/types.js';
import type { Metrics } from '../metrics.js';

type Child = ReturnType<Counter<string>['labels']>;

/** Stage × action slots per signature: 2 stages, 3 actions. */
const STAGES = ['request', '404'] as const;
const ACTIONS = ['blocked', 'forwarded', 'observed'] as const;

/** Countries remembered with their child counter: ISO codes are about 250; a bound all the same. */
const COUNTRIES_MAX = 512;

/**
 * The labelled children of the detection counters, looked up once: `inc(labels)` hashes the label
 * object on every call, which a flood of detections pays per request. Kept per signature object
 * (a WeakMap, so a rules reload lets the old signatures go) in stage × action slots.
 */
export function detectionCounters(metrics: Pick<Metrics, 'detections' | 'detectionsByCountry'>): {
  of(event: DetectionEvent): Child;
  byCountry(country: string | null): Child;
} {
  const bySignature = new WeakMap<Signature, Array<Child | undefined>>();
  const countries = new Map<string, Child>();
  const unknown = metrics.detectionsByCountry.labels({ country: 'unknown' });
  return {
    of(event) {
      const { signature, stage } = event.verdict;
      const s = STAGES.indexOf(stage);
      const a = ACTIONS.indexOf(event.action);
      // A stage or action outside the known ones is counted all the same, uncached.
      if (s < 0 || a < 0) return childOf(metrics.detections, event);
      let slots = bySignature.get(signature);
      if (slots === undefined) bySignature.set(signature, (slots = []));
      return (slots[s * ACTIONS.length + a] ??= childOf(metrics.detections, event));
    },
    byCountry(country) {
      if (country === null) return unknown;
      let child = countries.get(country);
      if (child === undefined) {
        if (countries.size >= COUNTRIES_MAX) countries.clear();
        child = metrics.detectionsByCountry.labels({ country });
        countries.set(country, child);
      }
      return child;
    },
  };
}

function childOf(detections: Metrics['detections'], event: DetectionEvent): Child {
  const { signature, stage } = event.verdict;
  return detections.labels({ signature: signature.id, family: signature.family, stage, action: event.action });
}
