//! `@nick` mentions, marked by the host when a message is sent or edited: the room's members
//! whose nickname follows an `@` in the text (and ends there: `@bob` does not mention `bobby`).
//! The server marks them so every client — window, browser, terminal — agrees on who was
//! mentioned, nicknames with spaces included (`@Ann Lee`).

use std::collections::BTreeMap;

use super::Member;
use crate::protocol::MAX_NICK_CHARS;

/// `@`s looked at per message: a message of 4,000 `@` costs no more than this.
const MAX_AT_SIGNS: usize = 64;

/// Members of a room mentioned in `text`, each once, in the order first mentioned.
pub fn mentions(text: &str, members: &BTreeMap<String, Member>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (i, _) in text.match_indices('@').take(MAX_AT_SIGNS) {
        let rest = &text[i + 1..];
        // The longest member name that starts here and ends at a word boundary.
        let mut best = None;
        for (n, (j, c)) in rest.char_indices().enumerate() {
            if n >= MAX_NICK_CHARS {
                break;
            }
            let end = j + c.len_utf8();
            let name = &rest[..end];
            let boundary = rest[end..]
                .chars()
                .next()
                .is_none_or(|next| !next.is_alphanumeric() && next != '_' && next != '-');
            if boundary && members.contains_key(name) {
                best = Some(name);
            }
        }
        if let Some(name) = best
            && !out.iter().any(|m| m == name)
        {
            out.push(name.to_owned());
        }
    }
    out
}
