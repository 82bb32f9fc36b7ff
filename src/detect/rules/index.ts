export { buildEngine, checkRuleFile, effectiveCatalogue, loadRules, readRules, ruleFiles } from './load.js';
export { RULE_LIMITS, validateRuleData, type RuleSet } from './validate.js';
