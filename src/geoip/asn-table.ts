import type { LookupAddress } from './lookup-address.js';
import { AsnCsvError, forEachCsvLine, type CsvRow } from './asn-csv.js';
import { NO_AS_INFO, sanitiseAsOrg, type AsInfo } from './records.js';

export { AsnCsvError, MAX_ASN_LINE } from './asn-csv.js';

/** Rows kept per address family; the packaged files have about 412,000 (IPv4) and 103,000
 * (IPv6). Bounds memory if a file is replaced by something huge; rows past it are skipped. */
export const MAX_ASN_ROWS = 4_000_000;

/** One frozen AsInfo per distinct (number, organisation): rows share them, lookups allocate nothing. */
class AsInfoPool {
  // By AS number, the ids of its distinct raw organisation names (almost always one). Keyed by
  // number rather than by a joined string: building and hashing 500,000 keys took most of the load.
  private readonly byAsn = new Map<number, number[]>();
  private readonly rawOrgs: string[] = [];
  readonly list: AsInfo[] = [];

  id(asn: number, rawOrg: string): number {
    let ids = this.byAsn.get(asn);
    if (ids === undefined) {
      ids = [];
      this.byAsn.set(asn, ids);
    }
    for (const id of ids) if (this.rawOrgs[id] === rawOrg) return id;
    const id = this.list.length;
    this.list.push(Object.freeze({ asn, asOrg: sanitiseAsOrg(rawOrg) }));
    this.rawOrgs.push(rawOrg);
    ids.push(id);
    return id;
  }

  /** Frees what only building needs (the index by number and the raw names). */
  release(): void {
    this.byAsn.clear();
    this.rawOrgs.length = 0;
  }
}

const MASK32 = 0xffffffffn;
const MAX128 = (1n << 128n) - 1n;

function grown(column: Uint32Array, size: number): Uint32Array {
  const bigger = new Uint32Array(size);
  bigger.set(column);
  return bigger;
}

/** Sorted, non-overlapping ranges of one family: `words` numbers per bound (1 for IPv4, 4 for IPv6). */
class RangeColumns {
  rows = 0;
  skipped = 0;
  private starts: Uint32Array = new Uint32Array(0);
  private ends: Uint32Array = new Uint32Array(0);
  private infos: Uint32Array = new Uint32Array(0);
  private prevStart: number | bigint = -1;
  private prevEnd: number | bigint = -1;

  constructor(readonly words: 1 | 4) {}

  private put(column: Uint32Array, row: number, value: number | bigint): void {
    if (this.words === 1) {
      column[row] = Number(value);
      return;
    }
    const big = BigInt(value);
    for (let w = 0; w < 4; w++) column[row * 4 + w] = Number((big >> BigInt(32 * (3 - w))) & MASK32);
  }

  private reserve(rows: number): void {
    if (rows <= this.infos.length) return;
    const capacity = Math.min(MAX_ASN_ROWS, Math.max(rows, this.infos.length * 2, 1024));
    this.starts = grown(this.starts, capacity * this.words);
    this.ends = grown(this.ends, capacity * this.words);
    this.infos = grown(this.infos, capacity);
  }

  /** Drops the spare capacity once every row is in. */
  trim(): void {
    this.starts = this.starts.slice(0, this.rows * this.words);
    this.ends = this.ends.slice(0, this.rows * this.words);
    this.infos = this.infos.slice(0, this.rows);
  }

  add(start: number | bigint, end: number | bigint, info: number): void {
    const max = this.words === 1 ? 0xffffffff : MAX128;
    // Out of order, inside the previous range's start, malformed or past the bound: dropped and
    // counted, so a quirk of one data release costs that row, not the start-up.
    if (end < start || end > max || start <= this.prevStart || this.rows >= MAX_ASN_ROWS) {
      this.skipped++;
      return;
    }
    this.reserve(this.rows + 1);
    // The packaged data has one range that begins inside the previous one: the later (more
    // specific) range wins from its start on.
    if (start <= this.prevEnd) this.put(this.ends, this.rows - 1, typeof start === 'number' ? start - 1 : start - 1n);
    this.put(this.starts, this.rows, start);
    this.put(this.ends, this.rows, end);
    this.infos[this.rows] = info;
    this.rows++;
    this.prevStart = start;
    this.prevEnd = end;
  }

  /** The info id of the range holding `key`, or -1: binary search for the last start <= key. */
  find(key: readonly number[]): number {
    let lo = 0;
    let hi = this.rows - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (compareAt(this.starts, mid, this.words, key) <= 0) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found >= 0 && compareAt(this.ends, found, this.words, key) >= 0 ? this.infos[found]! : -1;
  }
}

/** Sign of column[row] - key, comparing `words` 32-bit words from the most significant. */
function compareAt(column: Uint32Array, row: number, words: number, key: readonly number[]): number {
  const base = row * words;
  for (let w = 0; w < words; w++) {
    const a = column[base + w]!;
    const b = key[w]!;
    if (a !== b) return a < b ? -1 : 1;
  }
  return 0;
}

/**
 * AS number and organisation by address range, from @ip-location-db/asn's `*-num.csv` files
 * (`start,end,asn,organisation`, addresses as decimal integers, sorted). Binary search over typed
 * arrays: 12 bytes per IPv4 range and 36 per IPv6 range, plus one object per distinct AS.
 * Built from chunks (`feed`), so a file is never held whole in memory.
 */
export class AsnRangeTable {
  private readonly v4 = new RangeColumns(1);
  private readonly v6 = new RangeColumns(4);
  private readonly pool = new AsInfoPool();
  private readonly lineNo = { 4: 0, 6: 0 };
  // Reused for every IPv4 lookup (lookups are synchronous), so a lookup allocates nothing.
  private readonly key4 = [0];

  /** A table from two whole files (tests, small data). Throws AsnCsvError on a malformed line. */
  static fromCsv(ipv4Csv: Buffer, ipv6Csv: Buffer): AsnRangeTable {
    const table = new AsnRangeTable();
    table.feed(4, ipv4Csv, ipv4Csv.length, true);
    table.feed(6, ipv6Csv, ipv6Csv.length, true);
    return table.done();
  }

  /**
   * Adds the complete lines of buf[0, length) of one family's file and returns how many bytes it
   * used; the caller keeps the rest (an unfinished line) for the next chunk. `final` for the last.
   */
  feed(family: 4 | 6, buf: Buffer, length: number, final: boolean): number {
    const columns = family === 4 ? this.v4 : this.v6;
    const onRow = (row: CsvRow): void => {
      if (row.asn === null) columns.skipped++;
      else columns.add(row.start, row.end, this.pool.id(row.asn, row.org));
    };
    try {
      const { used, lines } = forEachCsvLine(buf, length, final, this.lineNo[family], onRow);
      this.lineNo[family] += lines;
      return used;
    } catch (err) {
      if (err instanceof AsnCsvError) throw new AsnCsvError(err.line, err.problem, family);
      throw err;
    }
  }

  /** Call once every file is fed. */
  done(): this {
    this.pool.release();
    this.v4.trim();
    this.v6.trim();
    return this;
  }

  get stats(): { ipv4Ranges: number; ipv6Ranges: number; systems: number; skippedRows: number } {
    return {
      ipv4Ranges: this.v4.rows,
      ipv6Ranges: this.v6.rows,
      systems: this.pool.list.length,
      skippedRows: this.v4.skipped + this.v6.skipped,
    };
  }

  lookup(address: LookupAddress): AsInfo {
    let id: number;
    if (address.version === 4) {
      this.key4[0] = address.value;
      id = this.v4.find(this.key4);
    } else {
      id = this.v6.find(address.words);
    }
    return id < 0 ? NO_AS_INFO : (this.pool.list[id] ?? NO_AS_INFO);
  }
}
