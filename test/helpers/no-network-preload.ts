/**
 * Preload form of the network guard, for child processes and whole runs:
 *   node --import tsx --import ./test/helpers/no-network-preload.ts script.ts
 * or, suite-wide, `"node-option": ["import=tsx", "import=./test/helpers/no-network-preload.ts"]`.
 */
import { installNetworkGuard } from './no-network.js';

installNetworkGuard();
