//! How an event row changes the message it targets — the one place that says it. The core's
//! cache folds each event as it is posted, and the store writes the folded message back to its
//! row; the UI's `chat/store.ts` (`foldUpdate`) is the TypeScript twin. Folding is idempotent
//! (an edit sets the text, a delete sets `deleted`, a reaction adds or removes one user from a
//! set), so a client that replays rows it had already folded ends up where everyone else is.

use crate::protocol::{Kind, Message, QUOTE_CHARS, Quote, Reaction, Reactor};

/// Applies `event` (an edit, delete, react or unreact row) to `target`.
pub fn fold(target: &mut Message, event: &Message) {
    match event.kind {
        Kind::Edit if !target.deleted => {
            target.message = event.message.clone();
            target.mentions = event.mentions.clone();
            target.edited_ts = Some(event.ts);
        }
        Kind::Delete => {
            target.deleted = true;
            target.message.clear();
            target.file = None;
            target.mentions.clear();
            target.reactions.clear();
        }
        Kind::React if !target.deleted => {
            let (Some(user), emoji) = (&event.user_id, &event.message) else {
                return;
            };
            let i = match target.reactions.iter().position(|r| &r.emoji == emoji) {
                Some(i) => i,
                None => {
                    target.reactions.push(Reaction {
                        emoji: emoji.clone(),
                        by: Vec::new(),
                    });
                    target.reactions.len() - 1
                }
            };
            let by = &mut target.reactions[i].by;
            if !by.iter().any(|r| &r.user_id == user) {
                by.push(Reactor {
                    user_id: user.clone(),
                    nick_name: event.nick_name.clone(),
                });
            }
        }
        Kind::Unreact => {
            if let Some(user) = &event.user_id {
                for r in &mut target.reactions {
                    if r.emoji == event.message {
                        r.by.retain(|x| &x.user_id != user);
                    }
                }
                target.reactions.retain(|r| !r.by.is_empty());
            }
        }
        _ => {}
    }
}

/// Whether `user` has reacted to `m` with `emoji`.
pub fn has_reacted(m: &Message, user: &str, emoji: &str) -> bool {
    m.reactions
        .iter()
        .any(|r| r.emoji == emoji && r.by.iter().any(|x| x.user_id == user))
}

/// The quote a reply to `m` shows: its first [`QUOTE_CHARS`] characters.
pub fn quote_of(m: &Message) -> Quote {
    Quote {
        seq: m.seq,
        nick_name: m.nick_name.clone(),
        text: m.message.chars().take(QUOTE_CHARS).collect(),
        deleted: m.deleted,
    }
}
