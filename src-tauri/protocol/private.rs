//! Private conversations (issue #14): a room of its own for two users, named after their public
//! user ids (`dm:<id>:<id>`, sorted), that only those two users may join. Because the name holds
//! user ids — not nicknames — someone who later takes either nickname cannot read it
//! (docs/protocol.md "Private conversations", docs/security.md "Identity").

use serde::{Deserialize, Serialize};

/// Room names that start with this are private conversations; nobody can make an ordinary room
/// with such a name.
pub const PRIVATE_PREFIX: &str = "dm:";

/// The room two users talk privately in. The same for both, whoever opens it.
pub fn private_room(a: &str, b: &str) -> String {
    let (first, second) = if a <= b { (a, b) } else { (b, a) };
    format!("{PRIVATE_PREFIX}{first}:{second}")
}

/// Whether `room` names a private conversation (well formed or not).
pub fn is_private(room: &str) -> bool {
    room.starts_with(PRIVATE_PREFIX)
}

/// The two user ids of a private room, or `None` if it is not a well formed one.
pub fn private_pair(room: &str) -> Option<(&str, &str)> {
    let (a, b) = room.strip_prefix(PRIVATE_PREFIX)?.split_once(':')?;
    let id = |s: &str| {
        !s.is_empty()
            && s.len() <= 32
            && s.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
    };
    (id(a) && id(b) && a < b).then_some((a, b))
}

/// `openPrivate`, after validation: talk privately with `nick`, who is in `room` with you.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenPrivateRequest {
    pub room: String,
    pub nick: String,
}

/// Ack of `openPrivate`: the private room to join, and who it is with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct PrivateOpened {
    pub room: String,
    /// The other person's nickname when it was opened.
    pub nick_name: String,
}

/// `privateInvite`: someone wrote to you in a private room you are not in (on this
/// connection); join it (with `since`) to read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct PrivateInvite {
    pub room: String,
    /// Who wrote, with the nickname they have in the private room.
    pub nick_name: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both people get the same room, and only well formed names parse back to the pair.
    #[test]
    fn a_pair_has_one_room() {
        let r = private_room("bbbb", "aaaa");
        assert_eq!(r, private_room("aaaa", "bbbb"));
        assert_eq!(r, "dm:aaaa:bbbb");
        assert_eq!(private_pair(&r), Some(("aaaa", "bbbb")));
        assert!(is_private(&r));
        for bad in [
            "dm:", "dm:a", "dm:b:a", "dm:a:a", "dm:a:b:c", "dm:a b:c", "dmx:a:b", "lobby",
        ] {
            assert_eq!(private_pair(bad), None, "{bad}");
        }
    }
}
