//! Durable room history in SQLite: the only place messages are written to disk. The server's
//! hub appends each batch in one transaction before anything is acknowledged or broadcast.
//! Unfinished file uploads are recorded here too, so they resume after a restart.
//! Reading the past off the hub: [`pages`] (scrollback) and [`search`] (full text), on
//! [`readers`] connections.

mod pages;
mod readers;
pub mod search;

pub use pages::Page;

use std::collections::HashSet;
use std::path::Path;
use std::sync::{Arc, Mutex, Weak};

use rusqlite::{Connection, OptionalExtension, params};

use crate::chat::RoomSnapshot;
use crate::datadir::DataDirError;
use crate::protocol::{FileMeta, Kind, Message, Quote};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("could not open the history database at {path}: {source}")]
    Open {
        path: String,
        source: rusqlite::Error,
    },
    #[error("history database error: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("a file message could not be encoded: {0}")]
    Json(serde_json::Error),
    #[error("could not create the data directory {path}: {source}")]
    Dir {
        path: String,
        source: std::io::Error,
    },
    /// Another server has the directory (`datadir::open_store`): two would hand out the same
    /// seqs.
    #[error(transparent)]
    DataDir(#[from] DataDirError),
}

/// A handle to the history database; cheap to clone, safe to use from blocking threads.
#[derive(Clone)]
pub struct Store {
    // One connection; SQLite serialises writers anyway. Only the server's hub writes (one batch
    // at a time, inline in whichever task drives it), and reads happen on join, so the lock is
    // short and is never held across an `.await`.
    conn: Arc<Mutex<Connection>>,
    /// Connections for scrollback and search, beside the writer (WAL). `None` for an in-memory
    /// database, which only its one connection sees: those reads take the writer's lock.
    readers: Option<Arc<readers::Readers>>,
    /// Rooms with messages stored since the background indexer last looked (`search`).
    unindexed: Arc<Mutex<HashSet<String>>>,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS messages (
    room      TEXT    NOT NULL,
    seq       INTEGER NOT NULL,
    id        TEXT    NOT NULL,
    ts        INTEGER NOT NULL,
    kind      TEXT    NOT NULL,
    nick      TEXT    NOT NULL,
    body      TEXT    NOT NULL,
    client_id TEXT,
    PRIMARY KEY (room, seq)
) WITHOUT ROWID;
-- Dedupe reads the newest rows through the primary key; a client_id index cost a second
-- randomly placed page per stored message in every commit (docs/benchmarks.md, profile).
DROP INDEX IF EXISTS messages_client_id;
CREATE TABLE IF NOT EXISTS uploads (
    id        TEXT    PRIMARY KEY,
    room      TEXT    NOT NULL,
    nick      TEXT    NOT NULL,
    client_id TEXT    NOT NULL,
    name      TEXT    NOT NULL,
    size      INTEGER NOT NULL,
    mime      TEXT,
    touched   INTEGER NOT NULL,
    sha256    TEXT
);
";

/// An unfinished upload: the ticket's binding (room, nickname, clientId) and the file announced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadRecord {
    /// The ticket (hex); also the partial file's name.
    pub id: String,
    pub room: String,
    pub nick: String,
    pub client_id: String,
    pub name: String,
    pub size: u64,
    /// The sender's claimed type.
    pub mime: Option<String>,
    /// Last progress (ms since the epoch): unfinished uploads expire from here.
    pub touched: i64,
    /// Set once every byte arrived and the content is in the file store, before the message is
    /// posted: a restart in between posts it on the next `PATCH`.
    pub sha256: Option<String>,
    /// The uploader's public user id (none for tickets from before identities).
    pub user_id: Option<String>,
}

impl Store {
    /// Opens (creating if needed) `lanchat.db` in `dir`. Takes no lock: a server opens its
    /// directory with `datadir::open_store`, which does.
    pub fn open_dir(dir: &Path) -> Result<Store, StoreError> {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::Dir {
            path: dir.display().to_string(),
            source,
        })?;
        let path = dir.join("lanchat.db");
        let conn = Connection::open(&path).map_err(|source| StoreError::Open {
            path: path.display().to_string(),
            source,
        })?;
        // WAL + NORMAL: a commit reaches the OS before we ack, so a killed process (SIGKILL)
        // loses nothing acknowledged; only a power cut could lose the last transactions.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        // Checkpoints (copying the WAL into the database, with fsyncs) would otherwise run
        // inside whichever commit crosses the threshold, stalling every room's broadcasts.
        // A background thread does them instead, without blocking writers.
        conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        // When the WAL starts over, its file is cut back to this (bytes).
        conn.pragma_update(None, "journal_size_limit", 32 * 1024 * 1024)?;
        let mut store = Self::init(conn)?;
        store.readers = Some(Arc::new(readers::Readers::new(path.clone())));
        spawn_checkpointer(&path, Arc::downgrade(&store.conn));
        Ok(store)
    }

    /// A throwaway in-memory database (tests, `serve --memory`).
    pub fn memory() -> Result<Store, StoreError> {
        Self::init(Connection::open_in_memory()?)
    }

    fn init(conn: Connection) -> Result<Store, StoreError> {
        conn.execute_batch(SCHEMA)?;
        // Databases from before files (issue #12) get the column; old rows have none.
        let has_file: bool = conn
            .prepare("SELECT 1 FROM pragma_table_info('messages') WHERE name = 'file'")?
            .exists([])?;
        if !has_file {
            conn.execute_batch("ALTER TABLE messages ADD COLUMN file TEXT")?;
        }
        // Conversations (issue #14): the author's user id, event rows' target, replies,
        // mentions, and the folded state of a message (edited, deleted, reactions).
        let has_user: bool = conn
            .prepare("SELECT 1 FROM pragma_table_info('messages') WHERE name = 'user_id'")?
            .exists([])?;
        if !has_user {
            conn.execute_batch(
                "ALTER TABLE messages ADD COLUMN user_id TEXT;
                 ALTER TABLE messages ADD COLUMN target INTEGER;
                 ALTER TABLE messages ADD COLUMN reply_to INTEGER;
                 ALTER TABLE messages ADD COLUMN mentions TEXT;
                 ALTER TABLE messages ADD COLUMN edited_ts INTEGER;
                 ALTER TABLE messages ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;
                 ALTER TABLE messages ADD COLUMN reactions TEXT;
                 ALTER TABLE uploads ADD COLUMN user_id TEXT;",
            )?;
        }
        // A delete empties its message's edits: found through this (only event rows have a
        // target, so chat rows cost nothing here).
        conn.execute_batch(
            "CREATE INDEX IF NOT EXISTS messages_target ON messages (room, target)
             WHERE target IS NOT NULL",
        )?;
        // After the columns above: the index leaves deleted messages out.
        search::create(&conn)?;
        // A crash may have left messages without documents: the indexer's first look is at
        // every room.
        let unindexed = search::rooms(&conn)?.into_iter().collect();
        let store = Store {
            conn: Arc::new(Mutex::new(conn)),
            readers: None,
            unindexed: Arc::new(Mutex::new(unindexed)),
        };
        spawn_indexer(
            Arc::downgrade(&store.conn),
            Arc::downgrade(&store.unindexed),
        );
        Ok(store)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite half-written (transactions roll
        // back), so a poisoned lock is safe to reuse.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Appends messages in one transaction: all are stored or none is.
    pub fn append(&self, messages: &[Message]) -> Result<(), StoreError> {
        self.commit(messages, &[])
    }

    /// Appends `messages` and writes back `updated` — messages an edit, delete or reaction in
    /// the same batch changed, already folded by the chat core — in one transaction. A deleted
    /// message's edit rows lose their text too.
    pub fn commit(&self, messages: &[Message], updated: &[Message]) -> Result<(), StoreError> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO messages (room, seq, id, ts, kind, nick, body, client_id, file,
                     user_id, target, reply_to, mentions, edited_ts, deleted, reactions)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
            )?;
            for m in messages {
                let (file, mentions, reactions) = encoded(m)?;
                stmt.execute(params![
                    m.room,
                    m.seq as i64,
                    m.id,
                    m.ts,
                    m.kind.as_str(),
                    m.nick_name,
                    m.message,
                    m.client_id,
                    file,
                    m.user_id,
                    m.target.map(|t| t as i64),
                    m.reply.as_ref().map(|q| q.seq as i64),
                    mentions,
                    m.edited_ts,
                    m.deleted,
                    reactions
                ])?;
            }
            search::note(&tx, messages)?;
            let mut prior = tx.prepare_cached(
                "SELECT body, deleted FROM messages WHERE room = ?1 AND seq = ?2",
            )?;
            let mut update = tx.prepare_cached(
                "UPDATE messages SET body = ?3, file = ?4, mentions = ?5, edited_ts = ?6,
                     deleted = ?7, reactions = ?8
                 WHERE room = ?1 AND seq = ?2",
            )?;
            // Messages whose text changed (an edit) or that were deleted: their search
            // documents follow. A reaction alone leaves the index alone.
            let mut retext = Vec::new();
            let mut scrub = tx.prepare_cached(
                "UPDATE messages SET body = '', mentions = NULL
                 WHERE room = ?1 AND target = ?2 AND kind = 'edit'",
            )?;
            for m in updated {
                let before: Option<(String, bool)> = prior
                    .query_row(params![m.room, m.seq as i64], |r| {
                        Ok((r.get(0)?, r.get(1)?))
                    })
                    .optional()?;
                if before.is_none_or(|(body, deleted)| body != m.message || deleted != m.deleted) {
                    retext.push(m);
                }
                let (file, mentions, reactions) = encoded(m)?;
                update.execute(params![
                    m.room,
                    m.seq as i64,
                    m.message,
                    file,
                    mentions,
                    m.edited_ts,
                    m.deleted,
                    reactions
                ])?;
                if m.deleted {
                    scrub.execute(params![m.room, m.seq as i64])?;
                }
            }
            search::reindex(&tx, &retext)?;
            // The host cleared a room: everything before the notice goes, its documents too.
            let mut clear =
                tx.prepare_cached("DELETE FROM messages WHERE room = ?1 AND seq < ?2")?;
            for m in messages.iter().filter(|m| m.kind == Kind::Clear) {
                clear.execute(params![m.room, m.seq as i64])?;
                search::forget_before(&tx, &m.room, m.seq)?;
            }
        }
        tx.commit()?;
        let mut unindexed = self.unindexed.lock().unwrap_or_else(|p| p.into_inner());
        for m in messages {
            if !unindexed.contains(&m.room) {
                unindexed.insert(m.room.clone());
            }
        }
        Ok(())
    }

    /// Writes the search documents `room` still lacks, on the writer, before a search of it.
    fn index_now(&self, room: &str) -> Result<(), StoreError> {
        let mut conn = self.lock();
        while search::index_room(&mut conn, room, 4096)? == 4096 {}
        Ok(())
    }

    /// Runs a read on a read connection (the writer's, for an in-memory database).
    fn read<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        match &self.readers {
            Some(readers) => readers.with(f),
            None => f(&self.lock()),
        }
    }

    /// Message `seq` of `room` (folded), if there is one: the target of an edit, delete,
    /// reaction or reply older than the room's cache.
    pub fn message(&self, room: &str, seq: u64) -> Result<Option<Message>, StoreError> {
        let conn = self.lock();
        let sql = format!("{SELECT} WHERE m.room = ?1 AND m.seq = ?2");
        let mut rows = Self::query(&conn, &sql, params![room, seq as i64])?;
        Ok(rows.pop())
    }

    /// The private rooms of `user` whose newest chat or file message is the other user's: at
    /// connect, the user is invited to each (`privateInvite` with `lastSeq`), so a conversation
    /// started while they were away is not missed. Private rooms are few per user; the `rooms`
    /// table names every room with a message.
    pub fn private_waiting(
        &self,
        user: &str,
    ) -> Result<Vec<crate::protocol::PrivateInvite>, StoreError> {
        self.read(|conn| {
            let mut rooms = conn.prepare_cached("SELECT name FROM rooms WHERE name LIKE 'dm:%'")?;
            let names: Vec<String> = rooms
                .query_map([], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            let mut newest = conn.prepare_cached(
                "SELECT seq, nick, user_id FROM messages
                 WHERE room = ?1 AND kind IN ('chat', 'file') ORDER BY seq DESC LIMIT 1",
            )?;
            let mut out = Vec::new();
            for room in names {
                let Some((a, b)) = crate::protocol::private_pair(&room) else {
                    continue;
                };
                if a != user && b != user {
                    continue;
                }
                let last: Option<(i64, String, Option<String>)> = newest
                    .query_row([&room], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                    .optional()?;
                if let Some((seq, nick, Some(author))) = last
                    && author != user
                {
                    out.push(crate::protocol::PrivateInvite {
                        room,
                        nick_name: nick,
                        last_seq: Some(seq as u64),
                    });
                }
            }
            Ok(out)
        })
    }

    /// Loads what the server keeps in memory for a room.
    pub fn load_room(
        &self,
        room: &str,
        recent: usize,
        client_ids: usize,
    ) -> Result<RoomSnapshot, StoreError> {
        let conn = self.lock();
        let last_seq: Option<i64> = conn
            .query_row(
                "SELECT MAX(seq) FROM messages WHERE room = ?1",
                [room],
                |r| r.get(0),
            )
            .optional()?
            .flatten();
        // The shown messages and the event rows are cached apart (chat/room.rs): a run of
        // reactions does not push the conversation out of a plain join's history.
        let mut recent_rows = Self::query(
            &conn,
            &format!(
                "{SELECT} WHERE m.room = ?1 AND m.target IS NULL ORDER BY m.seq DESC LIMIT ?2"
            ),
            params![room, recent as i64],
        )?;
        recent_rows.reverse();
        let mut event_rows = Self::query(
            &conn,
            &format!(
                "{SELECT} WHERE m.room = ?1 AND m.target IS NOT NULL ORDER BY m.seq DESC LIMIT ?2"
            ),
            params![room, recent as i64],
        )?;
        event_rows.reverse();
        let mut stmt = conn.prepare_cached(
            "SELECT nick, client_id, id, seq, ts FROM
               (SELECT nick, client_id, id, seq, ts FROM messages
                WHERE room = ?1 ORDER BY seq DESC LIMIT ?2)
             WHERE client_id IS NOT NULL",
        )?;
        let mut ids = stmt
            .query_map(params![room, client_ids as i64], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get::<_, i64>(3)? as u64,
                    r.get(4)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        ids.reverse();
        Ok(RoomSnapshot {
            last_seq: last_seq.unwrap_or(0) as u64,
            recent: recent_rows,
            events: event_rows,
            client_ids: ids,
        })
    }

    /// Messages of `room` with `seq > since`, oldest first, at most `limit` of them and, after
    /// the first, no more than about `max_bytes` ([`crate::chat::wire_size`]): rows are read one
    /// at a time and reading stops there, so a catch-up's cost is bounded in bytes.
    pub fn since(
        &self,
        room: &str,
        since: u64,
        limit: usize,
        max_bytes: usize,
    ) -> Result<Vec<Message>, StoreError> {
        let conn = self.lock();
        let mut out = Vec::new();
        let mut bytes = 0;
        Self::each(
            &conn,
            &format!("{SELECT} WHERE m.room = ?1 AND m.seq > ?2 ORDER BY m.seq ASC LIMIT ?3"),
            params![room, since as i64, limit as i64],
            |m| {
                bytes += crate::chat::wire_size(&m);
                if bytes > max_bytes && !out.is_empty() {
                    return false;
                }
                out.push(m);
                true
            },
        )?;
        Ok(out)
    }

    fn query(
        conn: &Connection,
        sql: &str,
        args: impl rusqlite::Params,
    ) -> Result<Vec<Message>, StoreError> {
        let mut out = Vec::new();
        Self::each(conn, sql, args, |m| {
            out.push(m);
            true
        })?;
        Ok(out)
    }

    /// Runs `sql` (a [`SELECT`] with its conditions) and hands each row to `f` as a message
    /// until `f` says stop. Joins, catch-ups and pages all read through it.
    fn each(
        conn: &Connection,
        sql: &str,
        args: impl rusqlite::Params,
        mut f: impl FnMut(Message) -> bool,
    ) -> Result<(), StoreError> {
        let mut stmt = conn.prepare_cached(sql)?;
        let mut rows = stmt.query(args)?;
        while let Some(r) = rows.next()? {
            if !f(row_message(r)?) {
                break;
            }
        }
        Ok(())
    }
}

impl Store {
    /// Records a new upload.
    pub fn add_upload(&self, u: &UploadRecord) -> Result<(), StoreError> {
        self.lock().execute(
            "INSERT INTO uploads (id, room, nick, client_id, name, size, mime, touched, sha256,
                 user_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                u.id,
                u.room,
                u.nick,
                u.client_id,
                u.name,
                u.size as i64,
                u.mime,
                u.touched,
                u.sha256,
                u.user_id
            ],
        )?;
        Ok(())
    }

    /// Notes an upload's progress time and, once its content is stored, its hash.
    pub fn touch_upload(
        &self,
        id: &str,
        touched: i64,
        sha256: Option<&str>,
    ) -> Result<(), StoreError> {
        self.lock().execute(
            "UPDATE uploads SET touched = ?2, sha256 = COALESCE(?3, sha256) WHERE id = ?1",
            params![id, touched, sha256],
        )?;
        Ok(())
    }

    pub fn remove_upload(&self, id: &str) -> Result<(), StoreError> {
        self.lock()
            .execute("DELETE FROM uploads WHERE id = ?1", [id])?;
        Ok(())
    }

    /// Every unfinished upload (read once, when the server starts).
    pub fn uploads(&self) -> Result<Vec<UploadRecord>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn.prepare(
            "SELECT id, room, nick, client_id, name, size, mime, touched, sha256, user_id
             FROM uploads",
        )?;
        let rows = stmt
            .query_map([], |r| {
                Ok(UploadRecord {
                    id: r.get(0)?,
                    room: r.get(1)?,
                    nick: r.get(2)?,
                    client_id: r.get(3)?,
                    name: r.get(4)?,
                    size: r.get::<_, i64>(5)? as u64,
                    mime: r.get(6)?,
                    touched: r.get(7)?,
                    sha256: r.get(8)?,
                    user_id: r.get(9)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }
}

/// The columns [`row_message`] reads: a message row `m`, and the message it replies to `o`
/// for its quote (a primary-key lookup per reply). Add conditions on `m`.
pub const SELECT: &str = "SELECT m.room, m.seq, m.id, m.ts, m.kind, m.nick, m.body, m.client_id,
        m.file, m.user_id, m.target, m.reply_to, m.mentions, m.edited_ts, m.deleted, m.reactions,
        o.nick, substr(o.body, 1, 140), o.deleted
    FROM messages m LEFT JOIN messages o ON o.room = m.room AND o.seq = m.reply_to";

/// One stored row (selected with [`SELECT`]) as the message clients see: the ONE place a row
/// becomes a [`Message`], folded state included (edited text, `deleted`, reactions, the
/// reply's current quote). History on join, `since` catch-ups and the scrollback pages of
/// issue #14 part B all read rows through it.
pub fn row_message(r: &rusqlite::Row) -> Result<Message, rusqlite::Error> {
    let (room, seq, kind): (String, i64, String) = (r.get(0)?, r.get(1)?, r.get(4)?);
    // A row of a kind this version does not know (written by a newer one) is shown as a
    // notice rather than failing every join of its room; its seq keeps the run whole.
    let kind = Kind::parse(&kind).unwrap_or_else(|| {
        tracing::debug!("{room} #{seq}: unknown kind {kind:?}, shown as a notice");
        Kind::System
    });
    let file = file_meta(&room, seq, r.get(8)?);
    let reply = match r.get::<_, Option<i64>>(11)? {
        Some(to) => Some(Quote {
            seq: to as u64,
            nick_name: r.get::<_, Option<String>>(16)?.unwrap_or_default(),
            text: r.get::<_, Option<String>>(17)?.unwrap_or_default(),
            deleted: r.get::<_, Option<bool>>(18)?.unwrap_or(false),
        }),
        None => None,
    };
    let decode = |col: usize| -> Result<Option<String>, rusqlite::Error> { r.get(col) };
    let mentions = decode(12)?
        .and_then(|j| serde_json::from_str(&j).ok())
        .unwrap_or_default();
    let reactions = decode(15)?
        .and_then(|j| serde_json::from_str(&j).ok())
        .unwrap_or_default();
    Ok(Message {
        id: r.get(2)?,
        room,
        seq: seq as u64,
        ts: r.get(3)?,
        kind,
        nick_name: r.get(5)?,
        message: r.get(6)?,
        client_id: r.get(7)?,
        history: false,
        file,
        user_id: r.get(9)?,
        target: r.get::<_, Option<i64>>(10)?.map(|t| t as u64),
        reply,
        mentions,
        edited_ts: r.get(13)?,
        deleted: r.get(14)?,
        reactions,
    })
}

/// A message's JSON columns: file meta, mentions, reactions (`None` when empty).
type JsonColumns = (Option<String>, Option<String>, Option<String>);

fn encoded(m: &Message) -> Result<JsonColumns, StoreError> {
    let enc = |v: serde_json::Result<String>| v.map_err(StoreError::Json);
    let file = m
        .file
        .as_ref()
        .map(|f| enc(serde_json::to_string(f)))
        .transpose()?;
    let mentions = (!m.mentions.is_empty())
        .then(|| enc(serde_json::to_string(&m.mentions)))
        .transpose()?;
    let reactions = (!m.reactions.is_empty())
        .then(|| enc(serde_json::to_string(&m.reactions)))
        .transpose()?;
    Ok((file, mentions, reactions))
}

/// A stored file message's meta; one that does not decode (a newer version's) is left out, so
/// the message still shows its text line.
fn file_meta(room: &str, seq: i64, json: Option<String>) -> Option<FileMeta> {
    let json = json?;
    match serde_json::from_str(&json) {
        Ok(f) => Some(f),
        Err(e) => {
            tracing::debug!("{room} #{seq}: file meta does not decode ({e}); shown as text");
            None
        }
    }
}

/// A WAL this long (frames of a page each: 16 MiB) is made to start over from its beginning.
const RESTART_FRAMES: i64 = 4096;

/// Checkpoints the WAL every few seconds on its own connection (PASSIVE: never waits for the
/// writer) until the store is dropped. SQLite starts the WAL over only when a write begins
/// with every frame copied, which writes that never pause never give it: the file grew ~6 KB
/// a message without end (440 MB in the 7 s of a 100 x 10 benchmark run), every frame on a
/// fresh page of the file. So once the WAL is `RESTART_FRAMES` long, a second pass runs while
/// holding the writer's lock — it copies only what arrived during the first, about a
/// millisecond's work — and the next commit starts the WAL over (`journal_size_limit` trims it).
fn spawn_checkpointer(path: &Path, writer: Weak<Mutex<Connection>>) {
    let Ok(conn) = Connection::open(path) else {
        tracing::warn!("no WAL checkpointer: cannot open {}", path.display());
        return;
    };
    // Frames in the WAL, or none when the pass failed.
    let pass = move || {
        conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get::<_, i64>(1))
            .inspect_err(|e| tracing::warn!("WAL checkpoint failed: {e}"))
            .unwrap_or(0)
    };
    let spawned = std::thread::Builder::new()
        .name("lanchat-checkpoint".into())
        .spawn(move || {
            let mut pause = std::time::Duration::from_secs(2);
            loop {
                std::thread::sleep(pause);
                let Some(w) = writer.upgrade() else { return };
                let frames = pass();
                if frames >= RESTART_FRAMES {
                    let _writer = w.lock().unwrap_or_else(|p| p.into_inner());
                    pass();
                }
                // Writes coming fast (2 MiB since the last look): look again sooner.
                pause = std::time::Duration::from_millis(if frames >= RESTART_FRAMES / 8 {
                    250
                } else {
                    2000
                });
            }
        });
    if let Err(e) = spawned {
        tracing::warn!("no WAL checkpointer: {e}");
    }
}

/// The background indexer (`search`): every `INDEX_EVERY`, each room with messages stored
/// since its last look gets its documents, a slice at a time, the writer's lock released in
/// between so the hub's commits go first. It ends with the store.
fn spawn_indexer(writer: Weak<Mutex<Connection>>, unindexed: Weak<Mutex<HashSet<String>>>) {
    let spawned = std::thread::Builder::new()
        .name("lanchat-index".into())
        .spawn(move || {
            loop {
                std::thread::sleep(search::INDEX_EVERY);
                let (Some(w), Some(rooms)) = (writer.upgrade(), unindexed.upgrade()) else {
                    return;
                };
                let todo = std::mem::take(&mut *rooms.lock().unwrap_or_else(|p| p.into_inner()));
                for room in todo {
                    loop {
                        let mut conn = w.lock().unwrap_or_else(|p| p.into_inner());
                        match search::index_room(&mut conn, &room, search::INDEX_SLICE) {
                            Ok(n) if n == search::INDEX_SLICE => {}
                            Ok(_) => break,
                            Err(e) => {
                                tracing::warn!("indexing #{room} for search failed: {e}");
                                rooms.lock().unwrap_or_else(|p| p.into_inner()).insert(room);
                                break;
                            }
                        }
                        drop(conn);
                        // Let a commit that waited for the lock have it before the next slice.
                        std::thread::sleep(std::time::Duration::from_millis(1));
                    }
                }
            }
        });
    if let Err(e) = spawned {
        tracing::warn!("no search indexer (searches index their room themselves): {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(room: &str, seq: u64, cid: Option<&str>) -> Message {
        Message {
            id: format!("id-{room}-{seq}"),
            room: room.into(),
            seq,
            ts: 1000 + seq as i64,
            kind: Kind::Chat,
            nick_name: "n".into(),
            message: format!("m{seq}"),
            client_id: cid.map(Into::into),
            history: false,
            file: None,
            ..Default::default()
        }
    }

    #[test]
    fn private_rooms_wait_for_whoever_did_not_write_last() {
        let s = Store::memory().unwrap();
        let dm = crate::protocol::private_room("aaaa", "bbbb");
        let by = |seq: u64, user: &str, nick: &str| Message {
            user_id: Some(user.into()),
            nick_name: nick.into(),
            ..msg(&dm, seq, None)
        };
        s.append(&[by(1, "aaaa", "ann"), msg("lobby", 1, None)])
            .unwrap();
        let waiting = |u: &str| s.private_waiting(u).unwrap();
        assert_eq!(
            waiting("bbbb"),
            vec![crate::protocol::PrivateInvite {
                room: dm.clone(),
                nick_name: "ann".into(),
                last_seq: Some(1),
            }]
        );
        assert!(waiting("aaaa").is_empty(), "ann wrote last");
        assert!(waiting("cccc").is_empty(), "not carol's room");
        s.append(&[by(2, "bbbb", "bob")]).unwrap();
        assert!(waiting("bbbb").is_empty());
        assert_eq!(waiting("aaaa")[0].last_seq, Some(2));
    }

    #[test]
    fn history_and_seq_survive_reopening_the_database() {
        let dir = tempfile::tempdir().unwrap();
        {
            let s = Store::open_dir(dir.path()).unwrap();
            s.append(&[
                msg("a", 1, Some("c1")),
                msg("a", 2, None),
                msg("b", 1, None),
            ])
            .unwrap();
        }
        let s = Store::open_dir(dir.path()).unwrap();
        let snap = s.load_room("a", 1, 10).unwrap();
        assert_eq!(snap.last_seq, 2);
        assert_eq!(snap.recent, vec![msg("a", 2, None)]);
        assert_eq!(
            snap.client_ids,
            vec![("n".into(), "c1".into(), "id-a-1".into(), 1, 1001)]
        );
        assert_eq!(s.since("a", 0, 10, usize::MAX).unwrap().len(), 2);
        assert_eq!(s.load_room("zzz", 5, 5).unwrap().last_seq, 0);
    }

    #[test]
    fn the_wal_is_checkpointed_in_the_background() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open_dir(dir.path()).unwrap();
        let db = dir.path().join("lanchat.db");
        let before = std::fs::metadata(&db).unwrap().len();
        let batch: Vec<Message> = (1..=500).map(|i| msg("a", i, None)).collect();
        s.append(&batch).unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
        while std::fs::metadata(&db).unwrap().len() <= before {
            assert!(
                std::time::Instant::now() < deadline,
                "no checkpoint moved the WAL into the database"
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }

    /// Under writes that never pause, the WAL still starts over from its beginning (its header's
    /// checkpoint sequence number, bytes 12..16, counts the restarts) instead of growing forever.
    #[test]
    fn the_wal_starts_over_under_writes_that_never_pause() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open_dir(dir.path()).unwrap();
        let wal = dir.path().join("lanchat.db-wal");
        let restarts = || {
            let head = std::fs::read(&wal).unwrap_or_default();
            head.get(12..16)
                .map(|b| u32::from_be_bytes(b.try_into().unwrap()))
        };
        let mut seq = 0;
        s.append(&[msg("a", 0, None)]).unwrap();
        let first = restarts().expect("a WAL header");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while restarts() == Some(first) {
            assert!(
                std::time::Instant::now() < deadline,
                "the WAL never started over while {seq} messages were written one commit each"
            );
            for room in ["a", "b", "c", "d"] {
                seq += 1;
                s.append(&[msg(room, seq, None)]).unwrap();
            }
        }
        let size = std::fs::metadata(&wal).unwrap().len();
        assert!(size < 64 * 1024 * 1024, "WAL of {size} bytes");
    }

    /// A row written by a newer version, of a kind this one does not know, replays as a notice
    /// instead of making every join of its room fail.
    #[test]
    fn rows_of_an_unknown_kind_replay_as_notices() {
        let s = Store::memory().unwrap();
        s.append(&[msg("a", 1, None), msg("a", 2, None)]).unwrap();
        s.lock()
            .execute("UPDATE messages SET kind = 'hologram' WHERE seq = 2", [])
            .unwrap();
        let snap = s.load_room("a", 10, 10).unwrap();
        assert_eq!(snap.recent.len(), 2);
        assert_eq!(snap.recent[1].kind, Kind::System);
        assert_eq!(s.since("a", 0, 10, usize::MAX).unwrap()[1].message, "m2");
    }

    #[test]
    fn a_batch_with_a_duplicate_seq_stores_nothing() {
        let s = Store::memory().unwrap();
        s.append(&[msg("a", 1, None)]).unwrap();
        assert!(s.append(&[msg("a", 2, None), msg("a", 1, None)]).is_err());
        assert_eq!(s.load_room("a", 10, 10).unwrap().last_seq, 1);
    }
}
