import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { runCli } from './run-cli.js';

/** The part of the demo's output between a heading that starts with `title` and the next blank line. */
function section(out: string, title: string): string {
  const start = out.indexOf(`\n${title}`);
  assert.ok(start >= 0, `output has a "${title}" section`);
  const end = out.indexOf('\n\n', start + 1);
  return out.slice(start, end < 0 ? undefined : end);
}

describe('wormwatch demo', function () {
  this.timeout(60_000);

  it('replays worms and benign requests through the real proxy and prints detections, offenders and /metrics', async () => {
    const r = await runCli(['demo']);
    assert.equal(r.code, 0, r.stderr);
    const detections = section(r.stdout, 'Detections');
    assert.match(detections, /198\.51\.100\.7 +\S+ +codered +request/);
    assert.match(detections, /203\.0\.113\.5 +\S+ +nimda /);
    const offenders = section(r.stdout, 'Offenders');
    for (const ip of ['198.51.100.7', '198.51.100.23', '203.0.113.5']) assert.ok(offenders.includes(ip), `offender ${ip} listed`);
    for (const ip of ['192.0.2.10', '192.0.2.11', '192.0.2.12']) assert.ok(!offenders.includes(ip), `benign ${ip} is no offender`);
    assert.match(r.stdout, /^Metrics: http:\/\/127\.0\.0\.1:\d+\/metrics$/m);
    assert.match(r.stdout, /wormwatch_detections_total\{signature="[^"]+",family="codered",stage="request",action="forwarded"\} [1-9]/);
    assert.match(section(r.stdout, 'Requests replayed'), /192\.0\.2\.10 +200 +- +GET \/ HTTP\/1\.1/);
  });

  it('shows the notices both tiers would send, from a temporary outbox, with RDAP and DNS on loopback', async () => {
    const r = await runCli(['demo']);
    assert.equal(r.code, 0, r.stderr);
    const notices = section(r.stdout, 'Notices it would send');
    const dir = /outbox in (\S+),/.exec(notices)?.[1];
    assert.ok(dir !== undefined && existsSync(dir) === false, `the temporary outbox ${dir} is gone`);
    for (const ip of ['198.51.100.7', '198.51.100.23', '203.0.113.5', '203.0.113.66']) {
      assert.ok(notices.includes(`host   To: administrator@[${ip}], root@[${ip}], all@[${ip}]`), `host-tier recipients of ${ip}`);
    }
    assert.match(notices, /abuse {2}To: abuse@isp-one\.example\n {8}Subject: \[wormwatch\] abuse digest for abuse@isp-one\.example: 2 hosts probing web servers/);
    assert.match(notices, /abuse {2}To: abuse@isp-two\.example\n/);
    for (const ip of ['192.0.2.10', '192.0.2.11', '192.0.2.12']) assert.ok(!notices.includes(ip), `no notice for benign ${ip}`);
    const hostText = section(r.stdout, 'The text of the first host notice');
    assert.match(hostText, /\| this is an automatic notice about the machine at 198\.51\.100\.7\./);
    const digestText = section(r.stdout, 'The text of the first abuse notice (plus evidence.log)');
    assert.match(digestText, /\| HOSTS \(2\)/);
    const next = section(r.stdout, 'Next steps');
    assert.match(next, /1\. Run it in front of your own server: +wormwatch serve --upstream /);
    assert.match(next, /2\. Open the admin page: +http:\/\/127\.0\.0\.1:9090\//);
    assert.match(next, /3\. Point Prometheus at \/metrics: +scrape http:\/\/127\.0\.0\.1:9090\/metrics/);
  });

  it('in block mode answers CodeRed itself with 403', async () => {
    const r = await runCli(['demo', '--mode', 'block']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(section(r.stdout, 'Requests replayed'), /198\.51\.100\.7 +403 +\S+ \(request\) +GET \/default\.ida\?X/);
    assert.match(section(r.stdout, 'Detections'), /198\.51\.100\.7 +\S+ +codered +request +blocked/);
  });
});
