// PLACEHOLDER (skeleton): two entries so the proxy can be built against a working engine.
import type { Signature } from '../types.js';

export const builtinCatalogue: readonly Signature[] = [
  {
    id: 'codered-ii', family: 'codered', title: 'CodeRed II probe', description: 'placeholder',
    references: ['CVE-2001-0500'], stage: 'request',
    match: { target: 'path', pattern: '/default\\.ida$', literals: ['default.ida'] },
    examples: { positive: [{ request: 'GET /default.ida?XXXX HTTP/1.0' }], negative: [] },
  },
  {
    id: 'nimda-root-exe', family: 'nimda', title: 'Nimda root.exe probe', description: 'placeholder',
    references: [], stage: '404',
    match: { target: 'path', pattern: '/root\\.exe$', literals: ['root.exe'] },
    examples: { positive: [{ request: 'GET /scripts/root.exe?/c+dir HTTP/1.0' }], negative: [] },
  },
];
