/**
 * A minimal MaxMind DB writer for tests (npm has readers only: maxmind, mmdb-lib): an IPv6 tree
 * with 24-bit records, IPv4 networks at ::/96 as GeoLite2 files have them, and a data section of
 * maps, strings, unsigned integers, booleans and arrays. Follows the MaxMind DB 2.0 spec; the
 * files are read back by the real maxmind reader in the tests.
 */
import ipaddr from 'ipaddr.js';

export type MmdbValue = string | number | bigint | boolean | MmdbValue[] | { [key: string]: MmdbValue };

export interface MmdbEntry {
  /** CIDR, IPv4 or IPv6; entries must not overlap. */
  readonly network: string;
  readonly record: MmdbValue;
}

const TYPE = { string: 2, uint16: 5, uint32: 6, map: 7, uint64: 9, array: 11, boolean: 14 } as const;

function control(type: number, size: number): Buffer {
  const extended = type > 7;
  const first = (extended ? 0 : type) << 5;
  const ext = extended ? [type - 7] : [];
  if (size < 29) return Buffer.from([first | size, ...ext]);
  if (size < 285) return Buffer.from([first | 29, ...ext, size - 29]);
  if (size < 65821) { const s = size - 285; return Buffer.from([first | 30, ...ext, s >> 8, s & 0xff]); }
  const s = size - 65821;
  return Buffer.from([first | 31, ...ext, (s >> 16) & 0xff, (s >> 8) & 0xff, s & 0xff]);
}

function unsigned(type: number, value: bigint): Buffer {
  const bytes: number[] = [];
  for (let v = value; v > 0n; v >>= 8n) bytes.unshift(Number(v & 0xffn));
  return Buffer.concat([control(type, bytes.length), Buffer.from(bytes)]);
}

export function encodeValue(value: MmdbValue): Buffer {
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    return Buffer.concat([control(TYPE.string, bytes.length), bytes]);
  }
  if (typeof value === 'boolean') return control(TYPE.boolean, value ? 1 : 0);
  if (typeof value === 'number' || typeof value === 'bigint') {
    const big = BigInt(value);
    if (big < 0n) throw new Error('the test writer encodes unsigned integers only');
    return unsigned(big <= 0xffffffffn ? TYPE.uint32 : TYPE.uint64, big);
  }
  if (Array.isArray(value)) return Buffer.concat([control(TYPE.array, value.length), ...value.map(encodeValue)]);
  const keys = Object.keys(value);
  return Buffer.concat([control(TYPE.map, keys.length), ...keys.flatMap((k) => [encodeValue(k), encodeValue(value[k]!)])]);
}

/** The network's bits in the IPv6 tree (IPv4 below 96 zero bits). */
function networkBits(cidr: string): number[] {
  const [addr, prefix] = ipaddr.parseCIDR(cidr);
  const bytes = addr.toByteArray();
  const bits: number[] = addr.kind() === 'ipv4' ? new Array<number>(96).fill(0) : [];
  for (const byte of bytes) for (let i = 7; i >= 0; i--) bits.push((byte >> i) & 1);
  return bits.slice(0, (addr.kind() === 'ipv4' ? 96 : 0) + prefix);
}

type Slot = { node: number } | { data: number } | null;

export function writeMmdb(opts: {
  databaseType: string;
  entries: readonly MmdbEntry[];
  buildEpoch?: number;
  /** Metadata fields to replace (to write files that lie about themselves). */
  metadata?: Record<string, MmdbValue>;
}): Buffer {
  const nodes: [Slot, Slot][] = [[null, null]];
  const chunks: Buffer[] = [];
  let dataSize = 0;
  for (const { network, record } of opts.entries) {
    const encoded = encodeValue(record);
    const offset = dataSize;
    chunks.push(encoded);
    dataSize += encoded.length;
    const bits = networkBits(network);
    let node = 0;
    bits.forEach((b, depth) => {
      const bit = b as 0 | 1;
      const pair = nodes[node]!;
      if (depth === bits.length - 1) {
        if (pair[bit] !== null) throw new Error(`${network} overlaps another entry`);
        pair[bit] = { data: offset };
        return;
      }
      const slot = pair[bit];
      if (slot !== null && !('node' in slot)) throw new Error(`${network} is inside another entry`);
      if (slot === null) {
        nodes.push([null, null]);
        pair[bit] = { node: nodes.length - 1 };
      }
      node = (pair[bit] as { node: number }).node;
    });
  }
  const nodeCount = nodes.length;
  const recordValue = (slot: Slot): number => (slot === null ? nodeCount : 'node' in slot ? slot.node : nodeCount + 16 + slot.data);
  const tree = Buffer.alloc(nodeCount * 6);
  nodes.forEach(([left, right], i) => {
    tree.writeUIntBE(recordValue(left), i * 6, 3);
    tree.writeUIntBE(recordValue(right), i * 6 + 3, 3);
  });
  const metadata = encodeValue({
    node_count: nodeCount,
    record_size: 24,
    ip_version: 6,
    database_type: opts.databaseType,
    languages: ['en'],
    binary_format_major_version: 2,
    binary_format_minor_version: 0,
    build_epoch: BigInt(opts.buildEpoch ?? 1_780_000_000),
    description: { en: 'wormwatch test database' },
    ...opts.metadata,
  });
  const marker = Buffer.from([0xab, 0xcd, 0xef, ...Buffer.from('MaxMind.com', 'latin1')]);
  return Buffer.concat([tree, Buffer.alloc(16), ...chunks, marker, metadata]);
}
