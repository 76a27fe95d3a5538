//! Scrollback: a page of a room's displayable messages before, after or around a seq, bounded
//! in count and bytes like a join's replay. Rows become messages through the store's one
//! conversion ([`super::row_message`], via [`Store::each`]), so whatever a row folds in (edits,
//! deletes, reactions, the reply's quote) shows the same in a page as in a join's replay.

use rusqlite::{Connection, params};

use super::{SELECT, Store, StoreError};
use crate::protocol::{Message, PageAt};

/// The kinds a page shows: messages and room notices. Room events that only change an earlier
/// message (edits, reactions, deletes) are folded into that message's row and never listed.
const SHOWN: &str = "m.kind IN ('chat', 'file', 'join', 'leave', 'kick', 'system', 'clear')";

/// A page of history, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Page {
    pub messages: Vec<Message>,
    /// Older messages exist before the first one (before the anchor, if the page is empty).
    pub more: bool,
    /// Newer messages exist after the last one (`After` and `Around` pages).
    pub more_after: bool,
}

impl Store {
    /// A page of `room` at `at`: at most `limit` messages and, after the first, about
    /// `max_bytes` ([`crate::chat::wire_size`]). Runs on a read connection: never on the hub.
    pub fn page(
        &self,
        room: &str,
        at: PageAt,
        limit: usize,
        max_bytes: usize,
    ) -> Result<Page, StoreError> {
        self.read(|conn| match at {
            PageAt::Before(seq) => {
                let (messages, more) = older(conn, room, seq, limit, max_bytes)?;
                Ok(Page {
                    messages,
                    more,
                    more_after: false,
                })
            }
            PageAt::After(seq) => {
                let (messages, more_after) = newer(conn, room, seq, limit, max_bytes)?;
                let first = messages.first().map_or(seq.saturating_add(1), |m| m.seq);
                Ok(Page {
                    more: exists_before(conn, room, first)?,
                    messages,
                    more_after,
                })
            }
            PageAt::Around(seq) => {
                // The older half ends just before `seq`; the newer half starts at it.
                let (mut messages, more) = older(conn, room, seq, limit / 2, max_bytes / 2)?;
                let rest = limit - messages.len();
                let (after, more_after) =
                    newer(conn, room, seq.saturating_sub(1), rest, max_bytes / 2)?;
                messages.extend(after);
                Ok(Page {
                    messages,
                    more,
                    more_after,
                })
            }
        })
    }
}

/// The newest `limit` shown messages with `seq < before`, oldest first, and whether older ones
/// remain.
fn older(
    conn: &Connection,
    room: &str,
    before: u64,
    limit: usize,
    max_bytes: usize,
) -> Result<(Vec<Message>, bool), StoreError> {
    if limit == 0 {
        return Ok((Vec::new(), exists_before(conn, room, before)?));
    }
    let sql = format!(
        "{SELECT} WHERE m.room = ?1 AND m.seq < ?2 AND {SHOWN} ORDER BY m.seq DESC LIMIT ?3"
    );
    let (mut rows, more) = bounded(conn, &sql, room, before, limit, max_bytes)?;
    rows.reverse();
    Ok((rows, more))
}

/// The oldest `limit` shown messages with `seq > after`, and whether newer ones remain.
fn newer(
    conn: &Connection,
    room: &str,
    after: u64,
    limit: usize,
    max_bytes: usize,
) -> Result<(Vec<Message>, bool), StoreError> {
    let sql = format!(
        "{SELECT} WHERE m.room = ?1 AND m.seq > ?2 AND {SHOWN} ORDER BY m.seq ASC LIMIT ?3"
    );
    if limit == 0 {
        let (_, more) = bounded(conn, &sql, room, after, 0, max_bytes)?;
        return Ok((Vec::new(), more));
    }
    bounded(conn, &sql, room, after, limit, max_bytes)
}

/// Reads up to `limit` rows (one more, to learn whether more remain), stopping once `max_bytes`
/// would be passed (the first row always fits): `(rows, more)`.
fn bounded(
    conn: &Connection,
    sql: &str,
    room: &str,
    seq: u64,
    limit: usize,
    max_bytes: usize,
) -> Result<(Vec<Message>, bool), StoreError> {
    let mut out = Vec::new();
    let mut bytes = 0;
    let mut more = false;
    Store::each(
        conn,
        sql,
        params![room, seq.min(i64::MAX as u64) as i64, limit as i64 + 1],
        |m| {
            bytes += crate::chat::wire_size(&m);
            if out.len() == limit || (bytes > max_bytes && !out.is_empty()) {
                more = true;
                return false;
            }
            out.push(m);
            true
        },
    )?;
    Ok((out, more))
}

/// Whether `room` has a shown message with `seq < before`.
fn exists_before(conn: &Connection, room: &str, before: u64) -> Result<bool, StoreError> {
    let sql = format!(
        "SELECT EXISTS (SELECT 1 FROM messages m WHERE m.room = ?1 AND m.seq < ?2 AND {SHOWN})"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    Ok(
        stmt.query_row(params![room, before.min(i64::MAX as u64) as i64], |r| {
            r.get(0)
        })?,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Kind;

    fn msg(seq: u64, kind: Kind) -> Message {
        Message {
            id: format!("id-{seq}"),
            room: "a".into(),
            seq,
            ts: seq as i64,
            kind,
            nick_name: "n".into(),
            message: format!("m{seq}"),
            client_id: None,
            history: false,
            file: None,
            ..Default::default()
        }
    }

    fn seqs(p: &Page) -> Vec<u64> {
        p.messages.iter().map(|m| m.seq).collect()
    }

    fn room(n: u64) -> Store {
        let s = Store::memory().unwrap();
        let rows: Vec<Message> = (1..=n).map(|i| msg(i, Kind::Chat)).collect();
        s.append(&rows).unwrap();
        s.append(&[msg(n + 5, Kind::Join)]).unwrap();
        s
    }

    /// Paging back from the end reaches the first message with no gap and no repeat, and the
    /// last page says there is nothing older.
    #[test]
    fn pages_before_walk_back_to_the_beginning() {
        let s = room(23);
        let mut before = u64::MAX;
        let mut got = Vec::new();
        loop {
            let p = s.page("a", PageAt::Before(before), 10, usize::MAX).unwrap();
            let mut page = seqs(&p);
            page.extend(got);
            got = page;
            before = p.messages[0].seq;
            if !p.more {
                break;
            }
        }
        let mut want: Vec<u64> = (1..=23).collect();
        want.push(28);
        assert_eq!(got, want);
    }

    /// A page around a seq holds it in the middle, with what is older and newer flagged.
    #[test]
    fn a_page_around_a_seq_is_centred_on_it() {
        let s = room(100);
        let p = s.page("a", PageAt::Around(50), 10, usize::MAX).unwrap();
        assert_eq!(seqs(&p), (45..=54).collect::<Vec<_>>());
        assert!(p.more && p.more_after);
        let p = s.page("a", PageAt::Around(2), 10, usize::MAX).unwrap();
        assert_eq!(seqs(&p), (1..=10).collect::<Vec<_>>());
        assert!(!p.more && p.more_after);
        let p = s.page("a", PageAt::After(95), 10, usize::MAX).unwrap();
        assert_eq!(seqs(&p), vec![96, 97, 98, 99, 100, 105]);
        assert!(p.more && !p.more_after);
        let p = s.page("zzz", PageAt::Around(3), 10, usize::MAX).unwrap();
        assert_eq!(p, Page::default());
    }

    /// Pages show messages folded (edited text, deleted, reactions, the reply's quote) and
    /// leave the event rows out.
    #[test]
    fn pages_show_folded_messages_without_event_rows() {
        let s = Store::memory().unwrap();
        let mut reply = msg(2, Kind::Chat);
        reply.reply = Some(crate::protocol::Quote {
            seq: 1,
            nick_name: "n".into(),
            text: "m1".into(),
            deleted: false,
        });
        s.append(&[msg(1, Kind::Chat), reply, msg(3, Kind::Chat)])
            .unwrap();
        let event = |seq: u64, kind: Kind, target: u64| Message {
            kind,
            target: Some(target),
            ..msg(seq, kind)
        };
        let mut edited = msg(1, Kind::Chat);
        edited.message = "changed".into();
        edited.edited_ts = Some(4);
        let mut deleted = msg(3, Kind::Chat);
        deleted.message = String::new();
        deleted.deleted = true;
        s.commit(
            &[
                event(4, Kind::Edit, 1),
                event(5, Kind::Delete, 3),
                event(6, Kind::React, 1),
            ],
            &[edited, deleted],
        )
        .unwrap();
        let p = s
            .page("a", PageAt::Before(u64::MAX), 10, usize::MAX)
            .unwrap();
        assert_eq!(seqs(&p), vec![1, 2, 3]);
        assert_eq!(p.messages[0].message, "changed");
        assert_eq!(p.messages[0].edited_ts, Some(4));
        assert_eq!(p.messages[1].reply.as_ref().unwrap().text, "changed");
        assert!(p.messages[2].deleted);
        let p = s.page("a", PageAt::After(3), 10, usize::MAX).unwrap();
        assert!(p.messages.is_empty() && !p.more_after && p.more);
    }

    /// A page stops at the byte budget (the first message always fits) and says `more`.
    #[test]
    fn pages_are_bounded_in_bytes() {
        let s = room(30);
        let one = crate::chat::wire_size(&msg(30, Kind::Chat));
        let p = s.page("a", PageAt::Before(31), 50, one * 3).unwrap();
        assert_eq!(seqs(&p), vec![28, 29, 30]);
        assert!(p.more);
        let p = s.page("a", PageAt::Before(31), 50, 1).unwrap();
        assert_eq!(seqs(&p), vec![30]);
    }
}
