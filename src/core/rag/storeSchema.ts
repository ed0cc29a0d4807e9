import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';

/**
 * The index database's schema and its SQLite driver: migrations by `user_version`, the checks a database must pass
 * to be used, and the native modules (better-sqlite3, and sqlite-vec when asked for).
 */

export type Database = BetterSqlite3.Database;

/** Schema migrations, in order: index i brings a database from user_version i to i + 1. Never edit a shipped one. */
const migrations: readonly string[] = [
  `CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
   CREATE TABLE documents (
     id INTEGER PRIMARY KEY,
     path TEXT NOT NULL UNIQUE,
     content_hash TEXT NOT NULL,
     size INTEGER NOT NULL,
     mtime_ms REAL NOT NULL,
     format TEXT NOT NULL,
     chunking TEXT NOT NULL,
     chunk_count INTEGER NOT NULL,
     indexed_at INTEGER NOT NULL
   );
   CREATE TABLE chunks (
     rowid INTEGER PRIMARY KEY,
     id TEXT NOT NULL UNIQUE,
     document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
     ordinal INTEGER NOT NULL,
     start_line INTEGER NOT NULL,
     end_line INTEGER NOT NULL,
     page INTEGER,
     heading_path TEXT NOT NULL,
     text TEXT NOT NULL,
     content_hash TEXT NOT NULL,
     tokens INTEGER NOT NULL
   );
   CREATE INDEX chunks_document ON chunks(document_id);
   CREATE INDEX chunks_content ON chunks(content_hash);
   CREATE VIRTUAL TABLE chunks_fts USING fts5(path, heading, body, tokenize = 'porter unicode61 remove_diacritics 2');
   CREATE TABLE embeddings (
     content_hash TEXT NOT NULL,
     model TEXT NOT NULL,
     vector BLOB NOT NULL,
     PRIMARY KEY (content_hash, model)
   ) WITHOUT ROWID;
   CREATE TABLE skipped (path TEXT PRIMARY KEY, reason TEXT NOT NULL, kind TEXT NOT NULL);`,
  // What a file was when its content got it skipped, truncated or quarantined: while it stays so, it is not read again.
  `ALTER TABLE skipped ADD COLUMN size INTEGER;
   ALTER TABLE skipped ADD COLUMN mtime_ms REAL;
   ALTER TABLE skipped ADD COLUMN attempt TEXT;`,
];

export const schemaVersion = migrations.length;

/** better-sqlite3, loaded when an index is first opened (a native module: activation must not load it). */
export function loadDriver(): typeof BetterSqlite3 {
  const load = createRequire(__filename);
  return load('better-sqlite3') as typeof BetterSqlite3;
}

/** Loads sqlite-vec's loadable extension (a development dependency, used to compare backends; not shipped). */
export function tryLoadSqliteVec(db: Database): boolean {
  try {
    const load = createRequire(__filename);
    const sqliteVec = load('sqlite-vec') as { load(db: Database): void };
    sqliteVec.load(db);
    return true;
  } catch {
    return false;
  }
}

/**
 * Opens the database at `file` (WAL), migrates it to `schemaVersion`, and throws, closing it, when it is unusable: not
 * a database, failing SQLite's quick check, or written by a newer schema.
 */
export function openCheckedDatabase(Driver: typeof BetterSqlite3, file: string): Database {
  const db = new Driver(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    const check = db.pragma('quick_check', { simple: true }) as string;
    if (check !== 'ok') throw new Error(`integrity check failed: ${check}`);
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > schemaVersion) throw new Error(`schema version ${version} is newer than this Chatwright's (${schemaVersion})`);
    if (version < schemaVersion) {
      db.transaction(() => {
        for (let at = version; at < schemaVersion; at++) db.exec(migrations[at] ?? '');
        db.pragma(`user_version = ${schemaVersion}`);
      })();
    }
    db.prepare('SELECT count(*) FROM chunks_fts').get();
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}
