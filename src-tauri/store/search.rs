//! Full-text search over a room's chat text and file names (SQLite FTS5).
//!
//! `message_text` holds a copy of each chat message's text (a file message's: its file name),
//! under the rowid `room_id << 40 | seq`: one room's documents are one rowid range, so a search
//! asks FTS5 for that range newest first and stops after `limit` matches, however many other
//! rooms match. Room ids come from the small `rooms` table. The copy costs about the text's
//! size again on disk; the messages table has no integer rowid (`WITHOUT ROWID`) to point an
//! external-content index at.
//!
//! Indexing is deferred: a commit only makes sure its rooms have a row in `rooms` ([`note`]);
//! each room's `indexed` column is the seq up to which its messages have documents, and
//! [`index_room`] writes the rest in slices — every [`INDEX_EVERY`] from a background thread
//! (`Store::spawn_indexer`), and for the room being searched right before the search, so a
//! search still finds every message stored before it. Writing the documents in the hub's commit
//! cost 55-80 µs a message at the 1-3 messages a commit holds under load (SQLite flushes an FTS5
//! segment per transaction), a few hundred messages at a time about 25 µs (docs/benchmarks.md).
//! A message whose text changes later (an edit) or that is deleted goes through [`reindex`] in
//! the same transaction as its row's update: if it has a document, that is deleted and, unless
//! the message was deleted, inserted again with the new text; if not yet, the indexer reads the
//! new text when it gets there. Event rows (edit, delete, react, unreact) are never documents.
//! This file is the one place that knows the index's shape.

use std::time::Instant;

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::{Store, StoreError};
use crate::protocol::{HIT_END, HIT_START, Kind, Message, SearchHit, query_terms};

/// Bits of a document's rowid that hold the seq (a trillion messages per room).
const SEQ_BITS: u32 = 40;
const SEQ_MASK: i64 = (1 << SEQ_BITS) - 1;

/// The last word of a query also matches as a prefix from this many characters on. A shorter
/// prefix matches so many words that FTS5 merges all their lists: `the*` took 80-130 ms over a
/// million messages, `thin*` 1.5 ms (docs/benchmarks.md).
const PREFIX_CHARS: usize = 4;

/// Scripts written without spaces (Chinese, Japanese, Korean, Thai), where a run of characters
/// is one word: there two characters make a useful prefix and match few words.
fn unspaced(c: char) -> bool {
    matches!(c,
        '\u{3040}'..='\u{30FF}' | '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}'
        | '\u{AC00}'..='\u{D7AF}' | '\u{0E00}'..='\u{0E7F}' | '\u{F900}'..='\u{FAFF}')
}

/// Words of context a snippet shows around the match.
const SNIPPET_WORDS: i64 = 16;

const SCHEMA: &str = "
-- `indexed`: the room's messages up to this seq have their documents (the rest wait for the
-- indexer).
CREATE TABLE IF NOT EXISTS rooms (
    id      INTEGER PRIMARY KEY,
    name    TEXT    NOT NULL UNIQUE,
    indexed INTEGER NOT NULL DEFAULT 0
);
-- Letters and digits make words, case and accents folded (so 'cafe' finds 'Café'). No prefix
-- index (`prefix = '2 3'`): it made short prefixes fast but cost 25-35 us more per stored
-- message, in the hub's commit (docs/benchmarks.md); see `PREFIX_CHARS` instead.
CREATE VIRTUAL TABLE IF NOT EXISTS message_text USING fts5(
    body,
    tokenize = 'unicode61 remove_diacritics 2'
);
";

/// How often the background indexer looks for rooms with messages not yet indexed.
pub(super) const INDEX_EVERY: std::time::Duration = std::time::Duration::from_millis(500);

/// Messages one slice of the background indexer reads (the writer's lock is held for a slice:
/// a few milliseconds).
pub(super) const INDEX_SLICE: usize = 128;

/// A document's text, in SQL over a `messages` row: a chat line's text, a file's name; NULL
/// for notices, event rows and deleted messages.
const DOC_TEXT: &str = "CASE WHEN deleted THEN NULL
      WHEN kind = 'chat' THEN body
      WHEN kind = 'file' AND json_valid(file) THEN json_extract(file, '$.name') END";

/// Creates the index if needed; a database from before search gets its old messages indexed
/// here, once, in one transaction (docs/benchmarks.md has the time for a million messages).
/// A database from before deferred indexing gets its rooms' `indexed` seqs (everything was
/// indexed in the commits).
pub(super) fn create(conn: &Connection) -> Result<(), StoreError> {
    let existed = conn
        .prepare("SELECT 1 FROM sqlite_master WHERE name = 'message_text'")?
        .exists([])?;
    let rooms_without_watermark = conn
        .prepare("SELECT 1 FROM sqlite_master WHERE name = 'rooms'")?
        .exists([])?
        && !conn
            .prepare("SELECT 1 FROM pragma_table_info('rooms') WHERE name = 'indexed'")?
            .exists([])?;
    if rooms_without_watermark {
        conn.execute_batch(
            "ALTER TABLE rooms ADD COLUMN indexed INTEGER NOT NULL DEFAULT 0;
             UPDATE rooms SET indexed =
               COALESCE((SELECT MAX(seq) FROM messages WHERE room = rooms.name), 0);",
        )?;
    }
    conn.execute_batch(SCHEMA)?;
    if existed {
        return Ok(());
    }
    let started = Instant::now();
    let tx = conn.unchecked_transaction()?;
    tx.execute_batch(&format!(
        "INSERT OR IGNORE INTO rooms (name) SELECT DISTINCT room FROM messages;
         INSERT INTO message_text (rowid, body)
           SELECT (r.id << 40) | m.seq, text FROM (
             SELECT room, seq, {DOC_TEXT} AS text FROM messages
           ) m JOIN rooms r ON r.name = m.room
           WHERE text IS NOT NULL;
         UPDATE rooms SET indexed =
           COALESCE((SELECT MAX(seq) FROM messages WHERE room = rooms.name), 0);"
    ))?;
    tx.commit()?;
    let n: i64 = conn.query_row("SELECT COUNT(*) FROM message_text", [], |r| r.get(0))?;
    if n > 0 {
        tracing::info!(
            "search index built for {n} stored messages in {:.1} s",
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

/// What a message puts in the index: a chat line's (current) text, a file's name; notices,
/// event rows and deleted messages nothing.
fn indexed_text(m: &Message) -> Option<&str> {
    if m.deleted {
        return None;
    }
    match m.kind {
        Kind::Chat => Some(&m.message),
        Kind::File => m.file.as_ref().map(|f| f.name.as_str()),
        _ => None,
    }
}

/// Inside the commit's transaction: every room of `messages` that will have documents gets its
/// row in `rooms`, so the indexer (and a restart) finds it. Rooms are few; this is a lookup.
pub(super) fn note(tx: &Transaction, messages: &[Message]) -> Result<(), StoreError> {
    let mut last: Option<&str> = None;
    for m in messages {
        if indexed_text(m).is_none() || last == Some(m.room.as_str()) {
            continue;
        }
        room_id(tx, &m.room)?;
        last = Some(&m.room);
    }
    Ok(())
}

/// Writes the documents of `room`'s messages after its `indexed` seq, at most `max` rows read,
/// in one transaction on the writer, and moves `indexed` on. Returns the rows read: fewer than
/// `max` means the room is up to date.
pub(super) fn index_room(
    conn: &mut Connection,
    room: &str,
    max: usize,
) -> Result<usize, StoreError> {
    let tx = conn.transaction()?;
    let read = {
        let Some((id, upto)) = tx
            .prepare_cached("SELECT id, indexed FROM rooms WHERE name = ?1")?
            .query_row([room], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))
            .optional()?
        else {
            return Ok(0);
        };
        let mut rows = tx.prepare_cached(&format!(
            "SELECT seq, {DOC_TEXT} FROM messages WHERE room = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3"
        ))?;
        let found: Vec<(i64, Option<String>)> = rows
            .query_map(params![room, upto, max as i64], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?
            .collect::<Result<_, _>>()?;
        let mut insert =
            tx.prepare_cached("INSERT INTO message_text (rowid, body) VALUES (?1, ?2)")?;
        for (seq, text) in &found {
            if let Some(text) = text {
                insert.execute(params![doc(id, *seq as u64), text])?;
            }
        }
        if let Some((last, _)) = found.last() {
            tx.prepare_cached("UPDATE rooms SET indexed = ?2 WHERE id = ?1")?
                .execute(params![id, last])?;
        }
        found.len()
    };
    tx.commit()?;
    Ok(read)
}

/// Every room's name (the indexer's first look after opening: a crash may have left messages
/// without documents).
pub(super) fn rooms(conn: &Connection) -> Result<Vec<String>, StoreError> {
    let mut stmt = conn.prepare("SELECT name FROM rooms")?;
    let names = stmt
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(names)
}

/// Brings the documents of messages an edit or delete changed up to date, inside the commit's
/// transaction, after their rows were updated: each document is deleted, and put back with the
/// message's new text unless the message is deleted now.
pub(super) fn reindex(tx: &Transaction, updated: &[&Message]) -> Result<(), StoreError> {
    if updated.is_empty() {
        return Ok(());
    }
    let mut delete = tx.prepare_cached("DELETE FROM message_text WHERE rowid = ?1")?;
    let mut insert = tx.prepare_cached("INSERT INTO message_text (rowid, body) VALUES (?1, ?2)")?;
    let mut room = tx.prepare_cached("SELECT id, indexed FROM rooms WHERE name = ?1")?;
    for m in updated {
        if m.kind.is_event() {
            continue;
        }
        let Some((id, upto)) = room
            .query_row([&m.room], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
            })
            .optional()?
        else {
            continue; // the room has no documents yet: the indexer reads the new text
        };
        if m.seq as i64 > upto {
            continue; // not indexed yet: the indexer reads the new text
        }
        delete.execute([doc(id, m.seq)])?;
        if let Some(text) = indexed_text(m) {
            insert.execute(params![doc(id, m.seq), text])?;
        }
    }
    Ok(())
}

/// The host cleared `room`: its documents before `seq` go.
pub(crate) fn forget_before(tx: &Transaction, room: &str, seq: u64) -> Result<(), StoreError> {
    let Some(id) = tx
        .prepare_cached("SELECT id FROM rooms WHERE name = ?1")?
        .query_row([room], |r| r.get::<_, i64>(0))
        .optional()?
    else {
        return Ok(());
    };
    tx.prepare_cached("DELETE FROM message_text WHERE rowid >= ?1 AND rowid < ?2")?
        .execute(params![doc(id, 0), doc(id, seq)])?;
    Ok(())
}

/// The room's id, made on its first message that has a document.
fn room_id(conn: &Connection, room: &str) -> Result<i64, StoreError> {
    let mut get = conn.prepare_cached("SELECT id FROM rooms WHERE name = ?1")?;
    if let Some(id) = get.query_row([room], |r| r.get(0)).optional()? {
        return Ok(id);
    }
    conn.prepare_cached("INSERT INTO rooms (name) VALUES (?1)")?
        .execute([room])?;
    Ok(conn.last_insert_rowid())
}

fn doc(room_id: i64, seq: u64) -> i64 {
    (room_id << SEQ_BITS) | (seq as i64 & SEQ_MASK)
}

/// The FTS5 query for a user's words: each word quoted (a word is letters and digits only, so
/// it holds no quote to escape), all of them required, the last one also as a prefix ("budg"
/// finds "budget") when it has [`PREFIX_CHARS`] characters or more (two in an unspaced script).
/// `None` when there is no word.
pub fn fts_query(q: &str) -> Option<String> {
    let terms = query_terms(q);
    let (last, rest) = terms.split_last()?;
    let mut out: Vec<String> = rest.iter().map(|t| format!("\"{t}\"")).collect();
    let n = last.chars().count();
    out.push(
        if n >= PREFIX_CHARS || (n >= 2 && last.chars().any(unspaced)) {
            format!("\"{last}\"*")
        } else {
            format!("\"{last}\"")
        },
    );
    Some(out.join(" "))
}

impl Store {
    /// Messages of `room` matching the words of `q`, newest first: at most `limit`, and whether
    /// older ones match too. Runs on a read connection, never on the hub, after writing the
    /// room's waiting documents (on the writer: a moment's wait for the hub's next commit).
    pub fn search(
        &self,
        room: &str,
        q: &str,
        limit: usize,
    ) -> Result<(Vec<SearchHit>, bool), StoreError> {
        let Some(query) = fts_query(q) else {
            return Ok((Vec::new(), false));
        };
        // Everything stored before the search is found: the room's waiting messages first.
        self.index_now(room)?;
        self.read(|conn| {
            let id: Option<i64> = conn
                .prepare_cached("SELECT id FROM rooms WHERE name = ?1")?
                .query_row([room], |r| r.get(0))
                .optional()?;
            let Some(id) = id else {
                return Ok((Vec::new(), false));
            };
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT rowid, snippet(message_text, 0, char({}), char({}), '…', {SNIPPET_WORDS})
                 FROM message_text
                 WHERE message_text MATCH ?1 AND rowid BETWEEN ?2 AND ?3
                 ORDER BY rowid DESC LIMIT ?4",
                HIT_START as u32, HIT_END as u32
            ))?;
            let mut found: Vec<(u64, String)> = stmt
                .query_map(
                    params![
                        query,
                        doc(id, 0),
                        doc(id, SEQ_MASK as u64),
                        limit as i64 + 1
                    ],
                    |r| Ok(((r.get::<_, i64>(0)? & SEQ_MASK) as u64, r.get(1)?)),
                )?
                .collect::<Result<_, _>>()?;
            let more = found.len() > limit;
            found.truncate(limit);
            let mut row =
                conn.prepare_cached("SELECT ts, nick FROM messages WHERE room = ?1 AND seq = ?2")?;
            let mut hits = Vec::with_capacity(found.len());
            for (seq, snippet) in found {
                let Some((ts, nick_name)) = row
                    .query_row(params![room, seq as i64], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()?
                else {
                    continue;
                };
                hits.push(SearchHit {
                    seq,
                    ts,
                    nick_name,
                    snippet,
                });
            }
            Ok((hits, more))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::FileMeta;

    fn msg(room: &str, seq: u64, text: &str) -> Message {
        Message {
            id: format!("id-{room}-{seq}"),
            room: room.into(),
            seq,
            ts: seq as i64,
            kind: Kind::Chat,
            nick_name: "ann".into(),
            message: text.into(),
            client_id: None,
            history: false,
            file: None,
            ..Default::default()
        }
    }

    /// An event row of room `a` (an edit, delete or reaction) aimed at `target`.
    fn event(seq: u64, kind: Kind, target: u64, text: &str) -> Message {
        Message {
            kind,
            target: Some(target),
            ..msg("a", seq, text)
        }
    }

    fn seqs(s: &Store, room: &str, q: &str) -> Vec<u64> {
        s.search(room, q, 10)
            .unwrap()
            .0
            .iter()
            .map(|h| h.seq)
            .collect()
    }

    /// The sanitiser: every word quoted, the last one a prefix; nothing of the query's own
    /// syntax gets through.
    #[test]
    fn queries_are_quoted_words() {
        assert_eq!(fts_query("hello worl").unwrap(), r#""hello" "worl"*"#);
        assert_eq!(fts_query("the").unwrap(), r#""the""#);
        assert_eq!(fts_query("x").unwrap(), r#""x""#);
        assert_eq!(fts_query("你好").unwrap(), r#""你好"*"#);
        assert_eq!(
            fts_query(r#"body:x" OR NEAR(a* "#).unwrap(),
            r#""body" "x" "OR" "NEAR" "a""#
        );
        assert_eq!(fts_query("%' --"), None);
    }

    /// Words and prefixes are found in their own room only, newest first, with the match
    /// marked in the snippet; file names are searchable; notices are not.
    #[test]
    fn search_finds_words_in_one_room() {
        let s = Store::memory().unwrap();
        let mut file = msg("a", 4, "📎 budget.xlsx (1 KB)");
        file.kind = Kind::File;
        file.file = Some(FileMeta {
            name: "Quarterly budget.xlsx".into(),
            size: 1000,
            mime: "application/octet-stream".into(),
            sha256: "00".repeat(32),
            width: None,
            height: None,
            url: "/files/x".into(),
            thumb_url: None,
        });
        let mut notice = msg("a", 5, "hello joined");
        notice.kind = Kind::Join;
        s.append(&[
            msg("a", 1, "Hello world"),
            msg("a", 2, "the café is open"),
            msg("b", 1, "hello from b"),
            msg("a", 3, "say hello again"),
            file,
            notice,
        ])
        .unwrap();
        assert_eq!(seqs(&s, "a", "hello"), vec![3, 1]);
        assert_eq!(seqs(&s, "a", "HELL"), vec![3, 1]);
        assert_eq!(
            seqs(&s, "a", "hel"),
            Vec::<u64>::new(),
            "three letters: the word only"
        );
        assert_eq!(seqs(&s, "a", "cafe"), vec![2]);
        assert_eq!(seqs(&s, "a", "budget"), vec![4]);
        assert_eq!(seqs(&s, "b", "hello"), vec![1]);
        assert_eq!(seqs(&s, "c", "hello"), Vec::<u64>::new());
        assert_eq!(seqs(&s, "a", "hello world"), vec![1]);
        let (hits, more) = s.search("a", "hello", 1).unwrap();
        assert!(more);
        assert_eq!(hits[0].snippet, "say \u{2}hello\u{3} again");
        assert_eq!(hits[0].nick_name, "ann");
    }

    /// An edited message is found by its new text and not by its old; a deleted one is not
    /// found at all; event rows are not documents. Also when the message and its edit are
    /// committed together.
    #[test]
    fn edits_and_deletes_follow_into_the_index() {
        let s = Store::memory().unwrap();
        s.append(&[
            msg("a", 1, "original wording"),
            msg("a", 2, "doomed sentence"),
        ])
        .unwrap();
        let mut edited = msg("a", 1, "revised phrasing");
        edited.edited_ts = Some(3);
        let mut deleted = msg("a", 2, "");
        deleted.deleted = true;
        s.commit(
            &[
                event(3, Kind::Edit, 1, "revised phrasing"),
                event(4, Kind::Delete, 2, ""),
                event(5, Kind::React, 1, "👍"),
            ],
            &[edited, deleted],
        )
        .unwrap();
        assert_eq!(seqs(&s, "a", "revised"), vec![1]);
        assert_eq!(seqs(&s, "a", "phrasing"), vec![1]);
        assert_eq!(seqs(&s, "a", "original"), Vec::<u64>::new());
        assert_eq!(seqs(&s, "a", "wording"), Vec::<u64>::new());
        assert_eq!(seqs(&s, "a", "doomed"), Vec::<u64>::new());
        assert_eq!(seqs(&s, "a", "sentence"), Vec::<u64>::new());
        // A reaction alone leaves the document as it is.
        let mut reacted = msg("a", 1, "revised phrasing");
        reacted.edited_ts = Some(3);
        s.commit(&[event(6, Kind::React, 1, "🎉")], &[reacted])
            .unwrap();
        assert_eq!(seqs(&s, "a", "revised"), vec![1]);

        // Posted and edited in one batch.
        let mut again = msg("a", 7, "second thoughts");
        again.edited_ts = Some(8);
        s.commit(
            &[
                msg("a", 7, "first draft"),
                event(8, Kind::Edit, 7, "second thoughts"),
            ],
            &[again],
        )
        .unwrap();
        assert_eq!(seqs(&s, "a", "draft"), Vec::<u64>::new());
        assert_eq!(seqs(&s, "a", "thoughts"), vec![7]);

        let n: i64 = s
            .lock()
            .query_row("SELECT COUNT(*) FROM message_text", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 2, "messages 1 and 7 only");
    }

    fn documents(s: &Store) -> i64 {
        s.lock()
            .query_row("SELECT COUNT(*) FROM message_text", [], |r| r.get(0))
            .unwrap()
    }

    /// Polls (the background indexer runs every `INDEX_EVERY`) until `s` has `n` documents.
    fn until_documents(s: &Store, n: i64) {
        let deadline = Instant::now() + std::time::Duration::from_secs(20);
        while documents(s) != n {
            assert!(
                Instant::now() < deadline,
                "{} documents, expected {n}",
                documents(s)
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    /// Documents are written off the commit: the background indexer gets to every room without
    /// a search asking, in slices (more messages than one slice here).
    #[test]
    fn the_indexer_writes_documents_in_the_background() {
        let s = Store::memory().unwrap();
        let many: Vec<Message> = (1..=300)
            .map(|i| msg("a", i, &format!("line {i} about kettles")))
            .collect();
        s.append(&many).unwrap();
        s.append(&[msg("b", 1, "kettles in b")]).unwrap();
        until_documents(&s, 301);
        let (hits, more) = s.search("a", "kettles", 5).unwrap();
        assert_eq!(
            hits.iter().map(|h| h.seq).collect::<Vec<_>>(),
            vec![300, 299, 298, 297, 296]
        );
        assert!(more);
    }

    /// An edit or delete of a message the indexer has not reached yet: the new text is what
    /// gets indexed, and a deleted message never is.
    #[test]
    fn edits_before_indexing_are_indexed_as_edited() {
        let s = Store::memory().unwrap();
        let mut edited = msg("a", 1, "tidy wording");
        edited.edited_ts = Some(3);
        let mut deleted = msg("a", 2, "");
        deleted.deleted = true;
        // In one commit, so the indexer cannot have run in between.
        s.commit(
            &[
                msg("a", 1, "messy wording"),
                msg("a", 2, "regrettable remark"),
                event(3, Kind::Edit, 1, "tidy wording"),
                event(4, Kind::Delete, 2, ""),
            ],
            &[edited, deleted],
        )
        .unwrap();
        until_documents(&s, 1);
        assert_eq!(seqs(&s, "a", "tidy"), vec![1]);
        assert_eq!(seqs(&s, "a", "messy"), Vec::<u64>::new());
        assert_eq!(seqs(&s, "a", "regrettable"), Vec::<u64>::new());
    }

    /// Messages stored but not indexed when the server stopped (a crash within the indexer's
    /// interval) get their documents after the next start, without a search asking.
    #[test]
    fn messages_left_unindexed_by_a_crash_are_indexed_after_restart() {
        let dir = tempfile::tempdir().unwrap();
        {
            let s = Store::open_dir(dir.path()).unwrap();
            s.append(&[
                msg("a", 1, "before the crash"),
                msg("a", 2, "crash aftermath"),
            ])
            .unwrap();
            until_documents(&s, 2);
            // As if the process died before the indexer's next look.
            s.lock()
                .execute_batch("DELETE FROM message_text; UPDATE rooms SET indexed = 0;")
                .unwrap();
        }
        let s = Store::open_dir(dir.path()).unwrap();
        until_documents(&s, 2);
        assert_eq!(seqs(&s, "a", "crash"), vec![2, 1]);
    }

    /// A database from before search gets its old messages indexed when it is opened.
    #[test]
    fn old_databases_are_indexed_at_open() {
        let dir = tempfile::tempdir().unwrap();
        {
            let s = Store::open_dir(dir.path()).unwrap();
            s.append(&[msg("a", 1, "older words"), msg("a", 2, "newer words")])
                .unwrap();
            s.lock()
                .execute_batch("DROP TABLE message_text; DROP TABLE rooms;")
                .unwrap();
        }
        let s = Store::open_dir(dir.path()).unwrap();
        assert_eq!(seqs(&s, "a", "words"), vec![2, 1]);
        s.append(&[msg("a", 3, "words again")]).unwrap();
        assert_eq!(seqs(&s, "a", "words"), vec![3, 2, 1]);
        let mut gone = msg("a", 2, "");
        gone.deleted = true;
        s.commit(&[], &[gone]).unwrap();
        s.lock()
            .execute_batch("DROP TABLE message_text; DROP TABLE rooms;")
            .unwrap();
        drop(s);
        let s = Store::open_dir(dir.path()).unwrap();
        assert_eq!(
            seqs(&s, "a", "words"),
            vec![3, 1],
            "deleted messages stay out"
        );
    }
}
