import assert from 'node:assert/strict';
import { defaultEngine } from '../../src/rules/index.js';
import { runScan } from '../../src/scan/index.js';
import { PROGRESS_MIN_BYTES, renderProgress, renderSummary, showsProgress } from '../../src/scan/render.js';
import { COMBINED, fixtureDir, GARBAGE } from './fixtures.js';

describe('wormwatch scan summary text', () => {
  it('shows per-file counts, the unparsable lines, detections by family and signature, and top offenders', async () => {
    const fx = fixtureDir();
    try {
      const file = fx.write('access_log', [...COMBINED, GARBAGE[1]!, '\x16\x03 raw bytes line']);
      const engine = defaultEngine();
      const summary = await runScan({ files: [file, `${fx.dir}/gone.log`], format: 'auto' }, { engine: () => engine, onDetection: () => undefined });
      const text = renderSummary(summary);
      assert.match(text, /^Read 6 lines from 2 inputs in [\d.]+ s \([\d,]+ lines\/s\): 4 requests, 0 header\/blank, 2 unparsable\.\n/);
      assert.ok(text.includes(`  ${file}  [combined]  6 lines, 2 unparsable, `));
      assert.ok(text.includes(`  ${fx.dir}/gone.log  [unknown]  0 lines, 0 unparsable, 0 detections  ERROR: no such file`));
      assert.ok(text.includes('Unparsable lines (first 2 of 2):'));
      assert.ok(text.includes(`${file}:5: 2021/09/30 09:23:53 [error]`));
      assert.ok(text.includes(`${file}:6: \\x16\\x03 raw bytes line`), 'control bytes are shown escaped');
      assert.match(text, /\n {2}codered +1\n/);
      assert.match(text, /\nBy signature:\n {2}\S+ +\d+ {2}\S/);
      assert.match(text, /\nTop offenders:\n {2}\d+\.\d+\.\d+\.\d+ +\d+ {2}\S/);
    } finally {
      fx.remove();
    }
  });

  it('renders a progress line that rewrites itself, with a percentage when the size is known', () => {
    assert.equal(renderProgress({ file: 'a.log', bytesRead: 50, totalBytes: 200, lines: 1234, detections: 5 }), '\r\x1b[2Kscanning a.log 25%: 1,234 lines, 5 detections');
    assert.equal(renderProgress({ file: '-', bytesRead: 50, totalBytes: null, lines: 1, detections: 0 }), '\r\x1b[2Kscanning -: 1 lines, 0 detections');
  });

  it('shows a progress line only for stdin and for inputs over 50 MB', () => {
    assert.equal(PROGRESS_MIN_BYTES, 52_428_800);
    assert.equal(showsProgress({ totalBytes: null }), true, 'stdin: its size is unknown');
    assert.equal(showsProgress({ totalBytes: PROGRESS_MIN_BYTES + 1 }), true);
    assert.equal(showsProgress({ totalBytes: PROGRESS_MIN_BYTES }), false);
    assert.equal(showsProgress({ totalBytes: 4096 }), false, 'a small file scans before a line could be read');
    assert.equal(renderProgress({ file: 'big.log', bytesRead: 80 * 2 ** 20, totalBytes: 60 * 2 ** 20, lines: 2_500_000, detections: 1_000 }), '\r\x1b[2Kscanning big.log 100%: 2,500,000 lines, 1,000 detections', 'never past 100% (a file growing while read)');
  });
});
