import { open, readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import maxmind, { type Reader, type Response } from 'maxmind';
import { ConfigError } from '../errors.js';
import { toLookupAddress } from './lookup-address.js';
import { AsnCsvError, AsnRangeTable, MAX_ASN_LINE } from './asn-table.js';

export type DbKind = 'asn' | 'country';

/** A database that cannot be used: one line naming the file, what is wrong and the fix. A
 * ConfigError, so the CLI prints it as one line and exits with the usage status. */
export class GeoIpError extends ConfigError {
  constructor(readonly file: string, message: string, options?: { cause?: unknown }) {
    super(message);
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

export const PACKAGED = {
  asn: { pkg: '@ip-location-db/asn', files: ['asn-ipv4-num.csv', 'asn-ipv6-num.csv'] },
  country: { pkg: '@ip-location-db/geo-whois-asn-country-mmdb', files: ['geo-whois-asn-country.mmdb'] },
} as const;

const OPTION: Record<DbKind, string> = { asn: '--geoip-asn-db', country: '--geoip-country-db' };
const GEOLITE: Record<DbKind, string> = { asn: 'GeoLite2-ASN.mmdb', country: 'GeoLite2-Country.mmdb' };

/** Largest database file read (it is read whole into memory). GeoLite2-City, the biggest free
 * MaxMind-format file, is about 60 MB; the packaged ASN CSV files 21 and 11 MB. */
export const MAX_DB_BYTES = 512 * 1024 * 1024;

function userFix(kind: DbKind): string {
  return `give ${OPTION[kind]} the path of a ${GEOLITE[kind]} file (not the .tar.gz it comes in), or leave the option out to use the packaged data`;
}

function fsProblem(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return (err as Error)?.message ?? String(err);
}

type Fail = (problem: string, cause?: unknown) => GeoIpError;

/** Stats `file`: it must be a regular file (not a FIFO that would block the read) of at most
 * MAX_DB_BYTES. Returns its size. */
async function checkDbFile(file: string, fail: Fail): Promise<number> {
  let st;
  try {
    st = await stat(file);
  } catch (err) {
    throw fail(fsProblem(err), err);
  }
  if (st.isDirectory()) throw fail('is a directory');
  if (!st.isFile()) throw fail('is not a regular file');
  if (st.size > MAX_DB_BYTES) throw fail(`is ${st.size} bytes, more than the ${MAX_DB_BYTES} accepted`);
  return st.size;
}

async function isGzip(file: string, fail: Fail): Promise<boolean> {
  try {
    const fd = await open(file, 'r');
    try {
      const { buffer, bytesRead } = await fd.read(Buffer.alloc(2), 0, 2, 0);
      return bytesRead === 2 && buffer[0] === 0x1f && buffer[1] === 0x8b;
    } finally {
      await fd.close();
    }
  } catch (err) {
    throw fail(fsProblem(err), err);
  }
}

/** Where an installed package keeps `file`; null if the package is not installed. */
export function packagedPath(pkg: string, file: string, from: string = import.meta.url): string | null {
  try {
    return path.join(path.dirname(createRequire(from).resolve(`${pkg}/package.json`)), file);
  } catch {
    return null;
  }
}

/** The data date in an @ip-location-db version (`2.3.YYYYMMDDHH`), or null. */
export function packagedDataDate(version: string): string | null {
  const m = /^\d+\.\d+\.(\d{4})(\d{2})(\d{2})\d{2}$/.exec(version);
  return m ? `${m[1]}-${m[2]}-${m[3]}` : null;
}

async function packagedVersion(pkgJson: string): Promise<string | null> {
  try {
    const v = (JSON.parse(await readFile(pkgJson, 'utf8')) as { version?: unknown }).version;
    return typeof v === 'string' ? v : null;
  } catch {
    return null;
  }
}

export interface SourceInfo {
  /** `packaged` (an npm dependency) or `user` (a file given with an option). */
  readonly origin: 'packaged' | 'user';
  readonly files: readonly string[];
  /** Package name@version for packaged data, the database_type of an .mmdb file. */
  readonly description: string;
  /** When the data was built (YYYY-MM-DD), if known: shown so stale data can be spotted. */
  readonly built: string | null;
}

/** Bytes read at a time from a CSV file: memory for the file stays at this, whatever its size. */
const CSV_CHUNK = 1 << 20;

/** Feeds `file` to the table in chunks, carrying an unfinished line over to the next chunk. */
async function feedCsv(table: AsnRangeTable, family: 4 | 6, file: string, buf: Buffer, fail: Fail): Promise<void> {
  let fd;
  try {
    fd = await open(file, 'r');
  } catch (err) {
    throw fail(fsProblem(err), err);
  }
  try {
    let kept = 0;
    for (;;) {
      const { bytesRead } = await fd.read(buf, kept, buf.length - kept, null);
      const length = kept + bytesRead;
      const used = table.feed(family, buf, length, bytesRead === 0);
      if (bytesRead === 0) return;
      buf.copy(buf, 0, used, length);
      kept = length - used;
    }
  } catch (err) {
    if (err instanceof AsnCsvError) throw err;
    throw fail(fsProblem(err), err);
  } finally {
    await fd.close();
  }
}

/** Loads @ip-location-db/asn's range files; `dir` overrides where the package is looked for. */
export async function openPackagedAsn(dir?: string): Promise<{ table: AsnRangeTable; source: SourceInfo }> {
  const { pkg, files } = PACKAGED.asn;
  const locate = (file: string): string | null => (dir === undefined ? packagedPath(pkg, file) : path.join(dir, file));
  const fix = `reinstall the dependencies (npm ci), or give --geoip-asn-db FILE (a GeoLite2-ASN.mmdb)`;
  const paths = files.map(locate);
  if (paths.some((p) => p === null)) {
    throw new GeoIpError(pkg, `packaged ASN data ${pkg} is not installed: ${fix}`);
  }
  const [v4File, v6File] = paths as [string, string];
  const fail = (file: string): Fail => (problem, cause) => new GeoIpError(file, `packaged ASN data ${file}: ${problem}; ${fix}`, { cause });
  const table = new AsnRangeTable();
  // One buffer for both files; a chunk always has room for a whole line after a kept partial one.
  const buf = Buffer.allocUnsafe(CSV_CHUNK + MAX_ASN_LINE + 2);
  for (const [family, file] of [[4, v4File], [6, v6File]] as const) {
    await checkDbFile(file, fail(file));
    try {
      await feedCsv(table, family, file, buf, fail(file));
    } catch (err) {
      if (!(err instanceof AsnCsvError)) throw err;
      throw fail(file)(`corrupt (line ${err.line}: ${err.problem})`, err);
    }
  }
  table.done();
  if (table.stats.ipv4Ranges === 0) throw fail(v4File)('holds no address ranges');
  const version = await packagedVersion(path.join(path.dirname(v4File), 'package.json'));
  return {
    table,
    source: {
      origin: 'packaged',
      files: [v4File, v6File],
      description: `${pkg}@${version ?? 'unknown'}`,
      built: version === null ? null : packagedDataDate(version),
    },
  };
}

// Global unicast addresses whose records are probed at open: a corrupt tree or data section
// shows up here as one clear error, not as nulls later. Misses (null records) are fine.
const PROBES = ['8.8.8.8', '1.1.1.1', '45.33.32.156', '193.0.6.139', '2001:4860:4860::8888', '2a00:1450:4001::1'];

function kindMismatch(kind: DbKind, databaseType: string): boolean {
  const t = databaseType.toLowerCase();
  return kind === 'asn' ? /country|city/.test(t) && !/asn/.test(t) : /asn|isp/.test(t) && !/country|city/.test(t);
}

/** What is wrong with a file's metadata (the reader checks only the record size), or null. */
export function metadataProblem(meta: Reader<Response>['metadata'], fileSize: number): string | null {
  if (typeof meta.databaseType !== 'string') return 'metadata has no database_type';
  if (meta.ipVersion !== 4 && meta.ipVersion !== 6) return `metadata ip_version ${String(meta.ipVersion)}`;
  if (!Number.isSafeInteger(meta.nodeCount) || meta.nodeCount < 1) return `metadata node_count ${String(meta.nodeCount)}`;
  if (meta.searchTreeSize + 16 > fileSize) return `search tree of ${meta.nodeCount} nodes does not fit in ${fileSize} bytes`;
  return null;
}

export interface OpenedMmdb {
  readonly reader: Reader<Response>;
  readonly source: SourceInfo;
}

/**
 * Opens an .mmdb file with the maxmind reader: the whole file is read into one Buffer (no mmap)
 * and decoded records are kept in maxmind's LRU cache of `cacheMax` entries.
 */
export async function openMmdb(file: string, kind: DbKind, origin: SourceInfo['origin'], cacheMax: number): Promise<OpenedMmdb> {
  const what = origin === 'user' ? `${OPTION[kind]} ${file}` : `packaged ${kind} database ${file}`;
  const fix = origin === 'user' ? userFix(kind) : `reinstall the dependencies (npm ci), or give ${OPTION[kind]} FILE`;
  const fail: Fail = (problem, cause) => new GeoIpError(file, `${what}: ${problem}; ${fix}`, { cause });
  const size = await checkDbFile(file, fail);
  if (await isGzip(file, fail)) throw fail('is gzip-compressed (extract the .mmdb file first, e.g. tar xzf)');
  let reader: Reader<Response>;
  try {
    reader = await maxmind.open<Response>(file, { cache: { max: cacheMax } });
  } catch (err) {
    throw fail(`not a MaxMind DB file (${fsProblem(err)})`, err);
  }
  const meta = reader.metadata;
  const bad = metadataProblem(meta, size);
  if (bad !== null) throw fail(`corrupt (${bad})`);
  if (kindMismatch(kind, meta.databaseType)) {
    // JSON.stringify escapes control characters; the type comes from the file.
    throw fail(`is a ${JSON.stringify(meta.databaseType.slice(0, 80))} database, not ${kind === 'asn' ? 'an ASN' : 'a country'} one`);
  }
  for (const probe of PROBES) {
    try {
      reader.get(toLookupAddress(probe)!.text);
    } catch (err) {
      throw fail(`corrupt (looking up ${probe}: ${fsProblem(err)})`, err);
    }
  }
  return {
    reader,
    source: {
      origin,
      files: [file],
      description: meta.databaseType.slice(0, 80),
      built: Number.isFinite(meta.buildEpoch.getTime()) ? meta.buildEpoch.toISOString().slice(0, 10) : null,
    },
  };
}

/** Opens @ip-location-db/geo-whois-asn-country-mmdb's file. */
export async function openPackagedCountry(cacheMax: number): Promise<OpenedMmdb> {
  const { pkg, files } = PACKAGED.country;
  const file = packagedPath(pkg, files[0]);
  if (file === null) {
    throw new GeoIpError(pkg, `packaged country data ${pkg} is not installed: reinstall the dependencies (npm ci), or give --geoip-country-db FILE (a GeoLite2-Country.mmdb)`);
  }
  const { reader, source } = await openMmdb(file, 'country', 'packaged', cacheMax);
  const version = await packagedVersion(path.join(path.dirname(file), 'package.json'));
  return { reader, source: { ...source, description: `${pkg}@${version ?? 'unknown'} (${source.description})` } };
}
