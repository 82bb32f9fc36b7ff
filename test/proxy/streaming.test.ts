import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import http from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { startOrigin, type Origin } from '../helpers/origin.js';
import { startProxy, type TestProxy } from '../helpers/proxy.js';

const TOTAL = 50 * 1024 * 1024;
const CHUNK = 64 * 1024;

/** 50 MB made on the fly (never held whole), reporting how much has been produced so far. */
function generated(progress: { produced: number }): Readable {
  let n = 0;
  return new Readable({
    read() {
      if (progress.produced >= TOTAL) {
        this.push(null);
        return;
      }
      const chunk = Buffer.alloc(CHUNK, n++ % 251);
      progress.produced += chunk.length;
      this.push(chunk);
    },
  });
}

function expectedDigest(): string {
  const hash = createHash('sha256');
  for (let i = 0; i < TOTAL / CHUNK; i++) hash.update(Buffer.alloc(CHUNK, i % 251));
  return hash.digest('hex');
}

describe('proxy streaming (50 MB each way)', function () {
  this.timeout(60_000);
  let origin: Origin;
  let proxy: TestProxy;
  const digest = expectedDigest();
  const upload = { firstChunkAt: -1, bytes: 0, digest: '' };
  const download = { produced: 0 };
  const uploadProgress = { produced: 0 };

  before(async () => {
    origin = await startOrigin({
      routes: {
        '/upload': (req, res) => {
          const hash = createHash('sha256');
          req.on('data', (c: Buffer) => {
            if (upload.bytes === 0) upload.firstChunkAt = uploadProgress.produced;
            upload.bytes += c.length;
            hash.update(c);
          });
          req.on('end', () => {
            upload.digest = hash.digest('hex');
            res.end('stored');
          });
        },
        '/download': (_req, res) => {
          res.writeHead(200, { 'content-type': 'application/octet-stream' });
          generated(download).pipe(res);
        },
      },
    });
    proxy = await startProxy({ upstream: origin.url });
  });
  after(async () => {
    await proxy.close();
    await origin.close();
  });

  it('streams a 50 MB chunked upload: the origin has data before the client has produced it all', async () => {
    const req = http.request({ host: '127.0.0.1', port: proxy.port, method: 'PUT', path: '/upload', agent: false });
    const answered = new Promise<number>((resolve, reject) => {
      req.on('response', (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
    });
    await pipeline(generated(uploadProgress), req);
    assert.equal(await answered, 200);
    assert.equal(upload.bytes, TOTAL);
    assert.equal(upload.digest, digest);
    assert.ok(upload.firstChunkAt > 0 && upload.firstChunkAt < TOTAL / 2, `origin first saw data after ${upload.firstChunkAt} bytes were produced`);
  });

  it('streams a 50 MB download: the client has data before the origin has produced it all', async () => {
    let bytes = 0;
    let producedAtFirstChunk = -1;
    const hash = createHash('sha256');
    await new Promise<void>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port: proxy.port, path: '/download', agent: false }, (res) => {
        res.on('data', (c: Buffer) => {
          if (bytes === 0) producedAtFirstChunk = download.produced;
          bytes += c.length;
          hash.update(c);
        });
        res.on('end', resolve);
        res.on('error', reject);
      }).on('error', reject);
    });
    assert.equal(bytes, TOTAL);
    assert.equal(hash.digest('hex'), digest);
    assert.ok(producedAtFirstChunk > 0 && producedAtFirstChunk < TOTAL / 2, `client first saw data after ${producedAtFirstChunk} bytes were produced`);
  });
});
