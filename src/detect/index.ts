// Detection, pure: normalising a request, matching it against a catalogue of signatures in one
// pass, the 404-storm counter, response verdicts and the rule schema. No I/O; imports nothing of ours but errors.
export type * from './types.js';
export { compileCatalogue, EVIDENCE_MAX } from './engine.js';
export { NORMALISER_FUNCTIONS, normaliseTarget, headerText, sanitiseLine } from './normalise.js';
export { parseRequestLine, exampleRequest } from './request-line.js';
export { matchList, LIST_MATCH_FUNCTIONS, type ListEntry } from './list-match.js';
export { validateRuleData, RULE_LIMITS, type RuleSet } from './rule-schema.js';
