import type { Signature } from '../types.js';
import { iis2001 } from './iis-2001.js';
import { iisRelatives } from './iis-relatives.js';
import { injection } from './injection.js';
import { iot, iotGeneric } from './iot.js';
import { probes } from './probes.js';
import { webRce } from './web-rce.js';

/**
 * The built-in catalogue, in matching order: the first signature of a stage that matches wins,
 * so specific signatures come before broader ones (CodeRed before the generic .ida overflow,
 * the traversal forms before plain cmd.exe), and request-stage families before 404-stage probes.
 */
export const builtinCatalogue: readonly Signature[] = Object.freeze([
  ...iis2001,
  ...iisRelatives,
  ...injection,
  ...iot,
  ...webRce,
  ...iotGeneric,
  ...probes,
]);
