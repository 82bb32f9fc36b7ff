import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { Resolver } from 'node:dns/promises';
import { startDemoDns, startDemoRdap } from '../../src/cli/demo-notices.js';

/** Sends one datagram to the demo DNS server and returns its answer, or null after `ms`. */
function ask(port: number, packet: Buffer, ms = 300): Promise<Buffer | null> {
  const socket = dgram.createSocket('udp4');
  return new Promise((resolve) => {
    const timer = setTimeout(() => done(null), ms);
    const done = (b: Buffer | null) => {
      clearTimeout(timer);
      socket.close();
      resolve(b);
    };
    socket.once('message', (m) => done(m));
    socket.send(packet, port, '127.0.0.1');
  });
}

describe('the demo\'s loopback RDAP and DNS servers', () => {
  it('answers every DNS query NXDOMAIN, as a real resolver reads it', async () => {
    const dns = await startDemoDns();
    try {
      const resolver = new Resolver({ timeout: 1000, tries: 1 });
      resolver.setServers([dns.url]);
      await assert.rejects(resolver.reverse('198.51.100.7'), (e: NodeJS.ErrnoException) => e.code === 'ENOTFOUND');
    } finally {
      await dns.close();
    }
  });

  it('ignores datagrams too short to be DNS, and keeps a reply to a hostile question within the query', async () => {
    const dns = await startDemoDns();
    try {
      const port = Number(dns.url.split(':')[1]);
      assert.equal(await ask(port, Buffer.from([1, 2, 3])), null);
      // A header, then a label that claims 63 bytes and stops after 2: no read past the end.
      const hostile = Buffer.concat([Buffer.from([0xab, 0xcd, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]), Buffer.from([63, 0x61, 0x62])]);
      const reply = await ask(port, hostile);
      assert.ok(reply !== null && reply.length <= hostile.length);
      assert.equal(reply.readUInt16BE(0), 0xabcd, 'the query id echoed');
      assert.equal(reply[3]! & 0x0f, 3, 'NXDOMAIN');
      assert.equal(await ask(port, Buffer.from([1, 2, 3])), null, 'and it still runs');
    } finally {
      await dns.close();
    }
  });

  it('names a made-up abuse desk for the demo\'s networks over RDAP, and 404 for any other address', async () => {
    const rdap = await startDemoRdap();
    try {
      const found = (await (await fetch(`${rdap.url}ip/203.0.113.5`)).json()) as { entities: { roles: string[]; vcardArray: [string, unknown[][]] }[] };
      assert.deepEqual(found.entities[0]!.roles, ['abuse']);
      assert.ok(JSON.stringify(found.entities[0]!.vcardArray).includes('abuse@isp-two.example'));
      assert.equal((await fetch(`${rdap.url}ip/8.8.8.8`)).status, 404);
    } finally {
      await rdap.close();
    }
  });
});
