// The extensions `wormwatch serve` and `scan` run by default: notices, the 404-storm detector
// and rule reloads. Each is a factory from the owner's own module; the wiring knows none of them.
import type { ExtensionFactory } from '../extension.js';
import { notifyExtension } from './notify.js';
import { rulesReloadExtension } from './reload.js';
import { stormExtension } from './storm.js';

export const defaultExtensions: readonly ExtensionFactory[] = [notifyExtension, stormExtension, rulesReloadExtension];
export { notifyExtension, rulesReloadExtension, stormExtension };
