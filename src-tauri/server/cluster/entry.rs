//! What a node writes to the cluster's log and reads back: one entry per hub job, in a form
//! every node can apply alike (sockets, acks and waiting host calls stay on the node that made
//! the job; the entry carries a token to find them again).

use serde::{Deserialize, Serialize};

use crate::protocol::Request;

/// One log entry: who appended it (`n`, the node's number), the token of what waits for it on
/// that node (`t`, 0 when nothing does), and the job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub n: u64,
    #[serde(default)]
    pub t: u64,
    pub op: Op,
}

/// The part of a hub job that every node applies. Requests are the validated [`Request`] the
/// node that received them parsed, so nodes never re-validate (and cannot disagree on it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "k", rename_all = "camelCase")]
pub enum Op {
    Connect {
        conn: u64,
        session: Option<String>,
        user: String,
        plain: bool,
    },
    Disconnect {
        conn: u64,
    },
    Request {
        conn: u64,
        req: Request,
    },
    Kick {
        room: String,
        nick: String,
        by: String,
    },
    HostDelete {
        room: String,
        seq: u64,
        by: String,
    },
    HostClear {
        room: String,
        by: String,
    },
    /// A node is gone: its connections leave, and its later entries are ignored.
    NodeDown {
        node: u64,
    },
}

impl Op {
    /// Whether a failed append is tried again (connects and disconnects: member lists depend
    /// on them) rather than refused (a request, whose client is told `storage_failed`).
    pub fn must_land(&self) -> bool {
        matches!(
            self,
            Op::Connect { .. } | Op::Disconnect { .. } | Op::NodeDown { .. }
        )
    }
}

/// The time of a stream entry id (`<ms>-<n>`), in ms since the epoch.
pub fn entry_ms(id: &str) -> Option<i64> {
    id.split_once('-')?.0.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::ConnId;
    use crate::protocol::SendRequest;

    #[test]
    fn entries_read_back_as_written() {
        let e = Entry {
            n: 3,
            t: 17,
            op: Op::Request {
                conn: ConnId::on_node(3, 9).0,
                req: Request::Send(SendRequest {
                    room: "lobby".into(),
                    text: "héllo \u{1F600}".into(),
                    client_id: Some("c1".into()),
                    reply_to: None,
                }),
            },
        };
        let text = serde_json::to_string(&e).unwrap();
        assert_eq!(serde_json::from_str::<Entry>(&text).unwrap(), e);
        assert!(!e.op.must_land());
        assert!(Op::Disconnect { conn: 1 }.must_land());
    }

    #[test]
    fn entry_ids_give_their_time() {
        assert_eq!(entry_ms("1733000000123-4"), Some(1_733_000_000_123));
        assert_eq!(entry_ms("nonsense"), None);
    }
}
