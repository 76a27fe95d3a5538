//! Presence deltas: one `presence {room, joined, left}` per room whose members changed in a
//! batch, against its members when the batch began. Whole lists after every join would cost
//! O(n²) when a class of thirty arrives at once.

use std::collections::HashMap;

use super::{Chat, Effect, Room};
use crate::protocol::Presence;

impl Chat {
    /// `roster`: each changed room's sorted member names before the batch.
    pub(super) fn presence(&self, roster: HashMap<String, Vec<String>>) -> Vec<Effect> {
        let mut rooms: Vec<_> = roster.into_iter().collect();
        rooms.sort_by(|a, b| a.0.cmp(&b.0));
        let mut out = Vec::new();
        for (room, before) in rooms {
            let after = self
                .rooms
                .get(&room)
                .map(Room::member_names)
                .unwrap_or_default();
            let (joined, left) = delta(&before, &after);
            if after.is_empty() || (joined.is_empty() && left.is_empty()) {
                continue;
            }
            let unencrypted = self
                .rooms
                .get(&room)
                .map(|r| {
                    joined
                        .iter()
                        .filter(|n| r.members.get(*n).is_some_and(|m| m.plain))
                        .cloned()
                        .collect()
                })
                .unwrap_or_default();
            out.push(Effect::Presence(Presence {
                room,
                joined,
                left,
                unencrypted,
            }));
        }
        out
    }
}

/// Who joined and who left, between two sorted member lists.
fn delta(before: &[String], after: &[String]) -> (Vec<String>, Vec<String>) {
    let joined = after
        .iter()
        .filter(|n| before.binary_search(n).is_err())
        .cloned()
        .collect();
    let left = before
        .iter()
        .filter(|n| after.binary_search(n).is_err())
        .cloned()
        .collect();
    (joined, left)
}
