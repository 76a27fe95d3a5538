//! What applying requests asks the transport to do, in order, addressed by connection and room.
//! The server's `deliver` turns each into socketioxide calls; tests read them as data.

use super::{ConnId, Read, UploadGrant};
use crate::protocol::{
    JoinAck, Kicked, Message, Presence, PrivateInvite, PrivateOpened, SendAck, Typing, UpdateAck,
    WireError,
};

/// The caller's handle for a request's reply (the server maps it to an ack or a host's waiter).
pub type ReqId = usize;

/// A request's successful outcome, before it becomes an ack body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Done {
    /// Its member list is filled in at the end of the batch (see [`super::Chat::finish`]).
    Joined(JoinAck),
    Sent(SendAck),
    Left {
        room: String,
    },
    Typing,
    /// The host's kick took effect.
    Kicked,
    /// A member may upload this file: the files service issues the ticket.
    UploadAllowed(UploadGrant),
    /// `fileUpload` with a clientId this member already posted: that message's ack.
    UploadPosted(SendAck),
    /// An edit, delete or reaction: its event row's seq, if anything changed.
    Updated(UpdateAck),
    /// `openPrivate`: the private room to join.
    PrivateOpened(PrivateOpened),
    /// A member may read this (`history`, `search`): the server reads it off the hub.
    Read(Read),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Replayed messages for one connection, oldest first.
    History { to: ConnId, messages: Vec<Message> },
    /// `conn` starts receiving `room`'s broadcasts.
    Subscribe { conn: ConnId, room: String },
    /// `conn` stops receiving `room`'s broadcasts.
    Unsubscribe { conn: ConnId, room: String },
    /// The batch's stored message at this index, to every subscriber of its room (as `message`,
    /// or `messageUpdate` for an event row). Sent only once the batch is stored.
    Broadcast(usize),
    /// Who joined and who left a room during the batch (one per room, after everything else).
    Presence(Presence),
    /// A typing notice to the room's other subscribers.
    Typing { from: ConnId, notice: Typing },
    /// Tells a removed member why.
    Kicked { to: ConnId, notice: Kicked },
    /// Tells a connection someone wrote to it in a private room it is not in.
    PrivateInvite { to: ConnId, invite: PrivateInvite },
    /// A request's outcome. `stored` names the batch message it depends on: if the batch fails
    /// to store, the outcome becomes `storage_failed`.
    Reply {
        id: ReqId,
        result: Result<Done, WireError>,
        stored: Option<usize>,
    },
}
