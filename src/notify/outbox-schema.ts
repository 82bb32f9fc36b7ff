import type Database from 'better-sqlite3';

/**
 * `PRAGMA user_version` of the current layout. 0 is the 0.1 layout (rendered bodies in each row);
 * 2 has no `kind` (every row an offender notice); 3 adds operator mail (`kind`, `path`, `status`,
 * `recipient`); 4 adds the abuse tier (digests of kind `abuse`, their `abuse_entries`, the
 * offender's network in `asn`, `as_org`, `country`).
 */
export const SCHEMA_VERSION = 4;

/** The columns layouts 3 and 4 added, last in the table as ALTER TABLE puts them. */
const ADDED_COLUMNS: ReadonlyArray<[name: string, type: string]> = [
  ['kind', "TEXT NOT NULL DEFAULT 'offender'"],
  ['path', 'TEXT'],
  ['status', 'INTEGER'],
  ['recipient', 'TEXT'],
  // 4
  ['asn', 'INTEGER'],
  ['as_org', 'TEXT'],
  ['country', 'TEXT'],
  ['hosts', 'INTEGER'],
  ['unlisted', 'INTEGER'],
];

/**
 * One row per notice, kept small: suppressed and sent rows hold facts only (address, signature,
 * times, counts, reason, SMTP reply), never a rendered body; the body is rendered when a notice
 * is sent or shown. A signature's title, description and references are stored once per version
 * in `signature_texts`, so a notice renders as it was queued even after a rules reload. Samples
 * are kept only for notices that may still be sent or shown as sent (NULL when suppressed).
 * `kind` tells an offender notice from an operator mail about an exposure, which also keeps the
 * exposed `path`, the `status` it was served with and its `recipient` (NULL on offender rows),
 * and from an abuse digest (`recipient` its abuse mailbox, `hosts` the hosts it lists).
 *
 * A digest's hosts are rows of `abuse_entries`. An entry with `notice_id` NULL waits for its RDAP
 * lookup (`next_lookup_at`); once the abuse mailbox is known it joins that mailbox's open digest
 * (a `notices` row of kind `abuse` with `host_status` `open`), at most once per digest (the
 * unique index). A digest is closed (`host_status` `closed`, caps applied) when it is due, then
 * delivered like any notice. Entries go with their digest (the trigger), whoever deletes it.
 */
const TABLES = `
CREATE TABLE IF NOT EXISTS signature_texts (
  id INTEGER PRIMARY KEY,
  signature TEXT NOT NULL,
  title TEXT NOT NULL,
  description TEXT NOT NULL,
  refs TEXT NOT NULL,
  UNIQUE (signature, title, description, refs)
);
CREATE TABLE IF NOT EXISTS notices (
  -- AUTOINCREMENT: an id is never reused after its row was evicted, so an id a person noted stays theirs.
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  ip TEXT NOT NULL,
  state TEXT NOT NULL,
  reason TEXT,
  signature TEXT NOT NULL,
  text_id INTEGER,
  hits INTEGER NOT NULL,
  first_seen INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  samples TEXT,
  hostname TEXT,
  host_status TEXT,
  message_id TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  next_attempt_at INTEGER,
  lease_until INTEGER,
  deadline_at INTEGER,
  sent_at INTEGER,
  smtp_reply TEXT,
  ${ADDED_COLUMNS.map(([name, type]) => `${name} ${type}`).join(',\n  ')}
);
CREATE TABLE IF NOT EXISTS notice_domains (domain TEXT NOT NULL, at INTEGER NOT NULL, notice_id INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS abuse_entries (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  ip TEXT NOT NULL,
  notice_id INTEGER,
  hits INTEGER NOT NULL,
  first_seen INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  signatures TEXT NOT NULL,
  samples TEXT NOT NULL,
  asn INTEGER,
  as_org TEXT,
  country TEXT,
  network TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_lookup_at INTEGER,
  last_error TEXT,
  created_at INTEGER NOT NULL,
  listed_at INTEGER
);
`;

// Partial indexes: each covers only the rows its query looks at, so suppressed rows (most of
// them in a large scan) carry the one index they need (the per-address de-duplication).
const INDEXES = `
CREATE INDEX IF NOT EXISTS notices_ip ON notices(ip, created_at);
CREATE INDEX IF NOT EXISTS notices_due ON notices(next_attempt_at, id) WHERE state IN ('queued', 'retrying', 'sending');
CREATE INDEX IF NOT EXISTS notices_counted ON notices(created_at) WHERE state != 'suppressed';
CREATE INDEX IF NOT EXISTS notices_lookup ON notices(id) WHERE host_status IS NULL AND state IN ('queued', 'retrying');
CREATE INDEX IF NOT EXISTS notices_finished ON notices(id) WHERE state IN ('sent', 'suppressed', 'failed');
CREATE INDEX IF NOT EXISTS notice_domains_at ON notice_domains(domain, at);
CREATE INDEX IF NOT EXISTS notices_operator ON notices(first_seen, path) WHERE kind = 'operator';
CREATE INDEX IF NOT EXISTS notices_operator_due ON notices(next_attempt_at, id) WHERE kind = 'operator' AND state IN ('queued', 'retrying', 'sending');
CREATE INDEX IF NOT EXISTS notices_abuse_due ON notices(next_attempt_at, id) WHERE kind = 'abuse' AND state IN ('queued', 'retrying', 'sending');
CREATE UNIQUE INDEX IF NOT EXISTS notices_abuse_open ON notices(recipient) WHERE kind = 'abuse' AND host_status = 'open';
CREATE UNIQUE INDEX IF NOT EXISTS abuse_entries_pending ON abuse_entries(ip) WHERE notice_id IS NULL;
CREATE UNIQUE INDEX IF NOT EXISTS abuse_entries_listed ON abuse_entries(notice_id, ip) WHERE notice_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS abuse_entries_ip ON abuse_entries(ip);
CREATE INDEX IF NOT EXISTS abuse_entries_due ON abuse_entries(next_lookup_at, id) WHERE notice_id IS NULL;
CREATE TRIGGER IF NOT EXISTS abuse_entries_follow AFTER DELETE ON notices WHEN old.kind = 'abuse'
  BEGIN DELETE FROM abuse_entries WHERE notice_id = old.id; END;
`;

/** Creates the tables, or brings an older outbox to the current layout without losing a notice. */
export function ensureSchema(db: Database.Database): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version === SCHEMA_VERSION) return;
  db.transaction(() => {
    const old = version === 0 && hasColumn(db, 'notices', 'facts');
    if (old) db.exec('ALTER TABLE notices RENAME TO notices_v1; DROP INDEX IF EXISTS notices_ip; DROP INDEX IF EXISTS notices_state; DROP INDEX IF EXISTS notices_counted; DROP INDEX IF EXISTS notices_lookup; DROP INDEX IF EXISTS notices_created;');
    db.exec(TABLES);
    if (old) migrateFromV1(db);
    addColumns(db);
    db.exec(INDEXES);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  })();
}

function hasColumn(db: Database.Database, table: string, column: string): boolean {
  return (db.prepare(`SELECT name FROM pragma_table_info('${table}')`).all() as { name: string }[]).some((c) => c.name === column);
}

/**
 * Layouts 2 and 3 to 4: the columns they lack, each only if missing, so a newer file that an
 * older wormwatch opened (and marked with its own version) opens again here. Existing rows of
 * layout 2 become offender notices; the network columns of older rows stay NULL (unknown).
 */
function addColumns(db: Database.Database): void {
  for (const [name, type] of ADDED_COLUMNS) if (!hasColumn(db, 'notices', name)) db.exec(`ALTER TABLE notices ADD COLUMN ${name} ${type}`);
}

/** 0.1 rows carried `facts` (JSON with the signature's texts and samples) and the rendered `message`. */
function migrateFromV1(db: Database.Database): void {
  db.exec(`
    INSERT OR IGNORE INTO signature_texts (signature, title, description, refs)
      SELECT DISTINCT json_extract(facts, '$.signature.id'), json_extract(facts, '$.signature.title'),
        json_extract(facts, '$.signature.description'), json_extract(facts, '$.signature.references') FROM notices_v1;
    INSERT INTO notices (id, ip, state, reason, signature, text_id, hits, first_seen, last_seen, samples, hostname, host_status,
        message_id, attempts, created_at, updated_at, next_attempt_at, lease_until, deadline_at, sent_at, smtp_reply)
      SELECT n.id, n.ip, n.state, n.reason, n.signature, t.id, n.hits, n.first_seen, n.last_seen,
        CASE WHEN n.state = 'suppressed' THEN NULL ELSE json_extract(n.facts, '$.samples') END, n.hostname, n.host_status,
        json_extract(n.message, '$.messageId'), n.attempts, n.created_at, n.updated_at, n.next_attempt_at, n.lease_until,
        n.deadline_at, n.sent_at, n.smtp_reply
      FROM notices_v1 n LEFT JOIN signature_texts t ON t.signature = json_extract(n.facts, '$.signature.id')
        AND t.title = json_extract(n.facts, '$.signature.title') AND t.description = json_extract(n.facts, '$.signature.description')
        AND t.refs = json_extract(n.facts, '$.signature.references');
    DROP TABLE notices_v1;
  `);
}
