import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { adminBase, adminRequest, adminUrlOf, refusal, type AdminTarget } from '../../src/cli/admin-client.js';
import { comparable } from '../../src/cli/bans-export.js';
import { asBanList, banTable, timeLeft, type BanRow } from '../../src/cli/bans-view.js';
import { AdminAnswerError, AdminUnreachableError, UsageError, type WormwatchError } from '../../src/errors.js';

/** A loopback server that answers every request with `handler`; closed by the returned function. */
async function serve(handler: http.RequestListener): Promise<{ target: AdminTarget; close(): void }> {
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    target: { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, token: undefined },
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

const row = (over: Partial<BanRow> = {}): BanRow => ({ ip: '198.51.100.7', since: '2026-01-01T00:00:00.000Z', until: '2026-01-01T02:00:00.000Z', remainingSeconds: 7200, count: 1, reason: 'manual', signature: null, ...over });

describe('wormwatch bans: the admin client\'s bounds', () => {
  it('refuses an answer larger than its cap, mid-transfer, and one that does not come within the time-out', async () => {
    const big = await serve((_req, res) => {
      res.write('x'.repeat(1000));
      res.end('x'.repeat(1000));
    });
    const silent = await serve(() => undefined);
    try {
      await assert.rejects(adminRequest(big.target, 'GET', '/bans', undefined, { maxBytes: 1024, timeoutMs: 5_000 }),
        (err: Error) => err instanceof AdminAnswerError && /larger than 1024 bytes: refused/.test(err.message));
      assert.equal((await adminRequest(big.target, 'GET', '/bans', undefined, { maxBytes: 2000, timeoutMs: 5_000 })).body.length, 2000);
      await assert.rejects(adminRequest(silent.target, 'GET', '/bans', undefined, { maxBytes: 1024, timeoutMs: 200 }),
        (err: Error) => err instanceof AdminAnswerError && /did not answer within 0\.2 s/.test(err.message));
    } finally {
      big.close();
      silent.close();
    }
  });

  it('sends the token as a bearer and JSON with its type, and tells a dropped connection from nobody listening', async () => {
    let seen: http.IncomingHttpHeaders = {};
    const echoing = await serve((req, res) => {
      seen = req.headers;
      req.resume();
      req.on('end', () => res.end('{}'));
    });
    const dropping = await serve((req) => req.socket.destroy());
    try {
      await adminRequest({ ...echoing.target, token: 't'.repeat(16) }, 'POST', '/bans', { ip: '198.51.100.7' });
      assert.equal(seen.authorization, `Bearer ${'t'.repeat(16)}`);
      assert.equal(seen['content-type'], 'application/json');
      assert.equal(seen.origin, undefined, 'no Origin: the guard takes it for a page of another site');
      await assert.rejects(adminRequest(dropping.target, 'GET', '/bans'), (err: Error) => err instanceof AdminAnswerError && /broke off: ECONNRESET/.test(err.message));
    } finally {
      echoing.close();
      dropping.close();
    }
    await assert.rejects(adminRequest(echoing.target, 'GET', '/bans'), AdminUnreachableError);
  });

  it('maps the server\'s refusals: 400 to a usage error, 409 to exit 1 with its message, anything not wormwatch\'s to one plain line', () => {
    const target: AdminTarget = { base: 'http://127.0.0.1:9090', token: undefined };
    const bad = refusal(target, { status: 400, body: '{"error":"not an IP address: x","code":"ERR_BAD_REQUEST"}' });
    assert.ok(bad instanceof UsageError);
    assert.equal((bad as WormwatchError).exitCode, 2);
    assert.equal(bad.message, 'not an IP address: x');
    const conflict = refusal(target, { status: 409, body: '{"error":"bans need --mode block\\u001b[31m","code":"ERR_BAN_REFUSED"}' });
    assert.deepEqual([(conflict as WormwatchError).exitCode, conflict.message], [1, 'bans need --mode block\\x1b[31m']);
    assert.equal(refusal(target, { status: 404, body: '<html>not found</html>' }).message, 'http://127.0.0.1:9090 answered HTTP 404, not as a wormwatch admin server does');
  });
});

describe('wormwatch bans: pure helpers', () => {
  it('reaches a wildcard --admin-listen on loopback, and brackets IPv6', () => {
    assert.equal(adminUrlOf({ host: '0.0.0.0', port: 9090 }), 'http://127.0.0.1:9090');
    assert.equal(adminUrlOf({ host: '::', port: 9090 }), 'http://[::1]:9090');
    assert.equal(adminUrlOf({ host: '192.0.2.10', port: 9191 }), 'http://192.0.2.10:9191');
    assert.equal(adminUrlOf({ host: 'fd00::10', port: 9191 }), 'http://[fd00::10]:9191');
  });

  it('keeps a path prefix of --admin and refuses TLS, credentials, queries and non-URLs as usage errors', () => {
    assert.equal(adminBase('http://127.0.0.1:9090/'), 'http://127.0.0.1:9090');
    assert.equal(adminBase('http://admin.internal/wormwatch/'), 'http://admin.internal/wormwatch');
    for (const raw of ['https://127.0.0.1:9090', 'http://u:p@127.0.0.1:9090', 'http://127.0.0.1:9090/?x=1', '127.0.0.1:9090', 'not a url']) {
      assert.throws(() => adminBase(raw), (err: Error) => (err as { exitCode?: number }).exitCode === 2, raw);
    }
  });

  it('shows time left in the two largest units, and forever for a ban without end', () => {
    assert.deepEqual([timeLeft(42), timeLeft(303), timeLeft(7500), timeLeft(93_600), timeLeft(null), timeLeft(-3)], ['42s', '5m3s', '2h5m', '1d2h', 'forever', '0s']);
  });

  it('aligns the table and escapes what a hostile server puts in a cell', () => {
    const text = banTable([row(), row({ ip: '2001:db8:1:2::/64', until: null, remainingSeconds: null, count: 3, reason: 'storm', signature: 'x\u001b]0;owned\u0007' })]);
    const lines = text.trimEnd().split('\n');
    assert.equal(lines.length, 3);
    assert.equal(lines[0]!.indexOf('UNTIL'), lines[1]!.indexOf('2026-'));
    assert.match(lines[2]!, /never\s+forever\s+3\s+storm\s+x\\x1b\]0;owned\\x07$/);
    assert.doesNotMatch(text, /\u001b/);
  });

  it('refuses an answer that is no ban list', () => {
    for (const bad of [null, [], { bans: 'x', total: 1 }, { bans: [{ ip: 7, count: 1 }], total: 1 }, { bans: [] }]) {
      assert.throws(() => asBanList(bad), AdminAnswerError, JSON.stringify(bad));
    }
  });

  it('compares exports without their time stamps, order or ticking seconds, and takes a damaged file for changed', () => {
    assert.equal(comparable('nginx', '# at 10:00\n198.51.100.7 1;\n198.51.100.8 1;\n'), comparable('nginx', '# at 10:01\n198.51.100.8 1;\n198.51.100.7 1;\n'));
    assert.notEqual(comparable('nginx', '198.51.100.7 1;\n'), comparable('nginx', '198.51.100.8 1;\n'));
    assert.equal(comparable('nginx', '198.51.100.7 1;\n} # broken\n'), null);
    const list = (seconds: number): string => JSON.stringify({ enabled: true, total: 1, count: 1, bans: [row({ remainingSeconds: seconds })] });
    assert.equal(comparable('json', list(7200)), comparable('json', list(7100)));
    assert.notEqual(comparable('json', list(7200)), comparable('json', JSON.stringify({ enabled: true, total: 1, bans: [row({ count: 2 })] })));
    assert.equal(comparable('json', '{"bans": [tru'), null);
  });
});
