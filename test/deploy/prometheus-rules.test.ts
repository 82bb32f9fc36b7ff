import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { ROOT, SHIPPED_ALERTS, run } from './support.js';

const DIR = join(ROOT, 'deploy', 'prometheus');

interface RuleGroup { rules: { alert?: string; expr: string }[] }
interface RuleTest { alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }

describe('deploy/prometheus alert rules', () => {
  it('pass promtool check rules', async () => {
    const r = await run('promtool', ['check', 'rules', join(DIR, 'alerts.yml')]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /SUCCESS: 7 rules found/);
  });

  it('pass their promtool unit tests', async () => {
    const r = await run('promtool', ['test', 'rules', join(DIR, 'alerts.test.yml')], { cwd: DIR });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /SUCCESS/);
  });

  it('have a unit test that fires and one that stays quiet for every alert', () => {
    const groups = (YAML.parse(readFileSync(join(DIR, 'alerts.yml'), 'utf8')) as { groups: RuleGroup[] }).groups;
    const alerts = groups.flatMap((g) => g.rules.map((r) => r.alert)).filter((a): a is string => !!a);
    assert.deepEqual(alerts.sort(), SHIPPED_ALERTS);
    const tests = (YAML.parse(readFileSync(join(DIR, 'alerts.test.yml'), 'utf8')) as { tests: RuleTest[] }).tests;
    const cases = tests.flatMap((t) => t.alert_rule_test ?? []);
    for (const alert of alerts) {
      const mine = cases.filter((c) => c.alertname === alert);
      assert.ok(mine.some((c) => c.exp_alerts.length > 0), `${alert} has no test where it fires`);
      assert.ok(mine.some((c) => c.exp_alerts.length === 0), `${alert} has no test where it stays quiet`);
    }
  });
});
