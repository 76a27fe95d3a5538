//! Talking to a tutorial-style server (the NestJS Socket.IO tutorial lanchat grew from, or
//! anything else that is not lanchat): "legacy mode". Every guess the client makes about such a
//! server lives here, because each is a heuristic rather than something the server promised:
//!
//! - **Detection.** A server that does not answer `GET /api/info` as lanchat is legacy. It is
//!   decided once, at connect.
//! - **No acks.** The tutorial's handlers return nothing, so an emit is never answered: a join
//!   or leave counts as done once emitted, and there is no ping (nothing would answer it), so a
//!   dead connection is noticed only when rust_socketio sees the socket close.
//! - **Delivery by echo.** The tutorial broadcasts a message to the whole room, sender
//!   included, so a send counts as delivered when a message with our nickname and the same text
//!   comes back (the oldest such send first). After a reconnect, sends whose echo never came are
//!   sent again; the server cannot dedupe, so one that did arrive may show twice.
//! - **Messages without rooms, seqs or kinds.** The tutorial sends `{nickName, message}` only.
//!   Such a message is put in the first room we are in (the tutorial's page is in one room at a
//!   time), gets seq 0 (never dropped as a replay, never a gap) and our clock's time, and a join
//!   notice is recognised by its text.
//! - **No typing notices**: the tutorial does not know the event.

use serde_json::Value;

use super::outbox::Outgoing;
use crate::protocol::{JoinAck, Kind, Message, SendAck, ServerInfo};

/// The `server` of `/api/info` that means "lanchat, with acks and seqs".
const LANCHAT: &str = "lanchat";

/// Whether the server only speaks the tutorial's events.
pub fn is_legacy(info: &ServerInfo) -> bool {
    info.server != LANCHAT
}

/// What we know of a server that did not describe itself.
pub fn unknown_server(base_url: &str) -> ServerInfo {
    ServerInfo {
        fingerprint: None,
        nodes: Vec::new(),
        server: "socket.io".into(),
        name: base_url.into(),
        version: String::new(),
        password_required: false,
        rooms: Vec::new(),
    }
}

/// The ack a legacy join never gets: joined, with no history and no member list.
pub fn assumed_join(room: String, nick: &str) -> JoinAck {
    JoinAck {
        unencrypted: Vec::new(),
        room,
        nick_name: nick.to_owned(),
        last_seq: 0,
        members: Vec::new(),
        more: false,
        user_id: None,
    }
}

/// The ack of a send whose echo came back: delivered, with no id or seq to report.
pub fn delivered() -> SendAck {
    SendAck {
        id: String::new(),
        seq: 0,
        ts: 0,
        duplicate: false,
    }
}

/// Whether `m`, just arrived, is the echo of our pending send `o`.
pub fn is_echo(o: &Outgoing, m: &Message, my_nick: &str) -> bool {
    m.nick_name == my_nick && m.message == o.text
}

/// Reads a tutorial `{nickName, message}` payload; `room` is where to show it.
pub fn message(data: &Value, room: &str, now_ms: i64) -> Option<Message> {
    let nick = data.get("nickName").and_then(Value::as_str)?.to_owned();
    let text = match data.get("message") {
        Some(Value::String(s)) => s.clone(),
        // The tutorial relays whatever was sent; show a non-string as its JSON.
        Some(other) => other.to_string(),
        None => return None,
    };
    Some(Message {
        id: String::new(),
        room: room.to_owned(),
        seq: 0,
        ts: now_ms,
        kind: guess_kind(&text),
        nick_name: nick,
        message: text,
        client_id: None,
        history: false,
        file: None,
        ..Default::default()
    })
}

/// The tutorial's join notice is "<nick> 加入了 <room> 房间" ("joined room <room>"); an English
/// variant of it ends in " joined". Everything else is chat.
fn guess_kind(text: &str) -> Kind {
    if text.contains(" 加入了 ") || text.ends_with(" joined") {
        Kind::Join
    } else {
        Kind::Chat
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Only a server that says it is lanchat gets acks and seqs.
    #[test]
    fn anything_but_lanchat_is_legacy() {
        assert!(is_legacy(&unknown_server("http://h:1")));
        let lanchat = ServerInfo {
            server: "lanchat".into(),
            ..unknown_server("http://h:1")
        };
        assert!(!is_legacy(&lanchat));
    }

    /// A tutorial message lands in the room we are in, as chat or as a join notice, with no
    /// seq (so it is never dropped as a replay).
    #[test]
    fn tutorial_messages_are_read() {
        let chat = message(&json!({"nickName": "ann", "message": "hi"}), "lobby", 5).unwrap();
        assert_eq!(
            (chat.room.as_str(), chat.seq, chat.ts, chat.kind),
            ("lobby", 0, 5, Kind::Chat)
        );
        let join = message(
            &json!({"nickName": "bob", "message": "bob 加入了 lobby 房间"}),
            "lobby",
            0,
        )
        .unwrap();
        assert_eq!(join.kind, Kind::Join);
        let odd = message(&json!({"nickName": "c", "message": 42}), "lobby", 0).unwrap();
        assert_eq!(odd.message, "42");
        assert_eq!(message(&json!({"message": "who?"}), "lobby", 0), None);
    }

    /// Our own nickname and the same text make an echo; someone else's does not.
    #[test]
    fn echoes_match_nick_and_text() {
        let o = Outgoing {
            reply_to: None,
            room: "lobby".into(),
            text: "hi".into(),
            client_id: "c".into(),
            reply: None,
        };
        let mine = message(&json!({"nickName": "me", "message": "hi"}), "lobby", 0).unwrap();
        let theirs = message(&json!({"nickName": "you", "message": "hi"}), "lobby", 0).unwrap();
        assert!(is_echo(&o, &mine, "me"));
        assert!(!is_echo(&o, &theirs, "me"));
    }
}
