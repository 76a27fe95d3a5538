//! A client's event turned into one typed request, once, at the edge (like mini-redis's
//! `Command::from_frame`): everything past this point works with `Request`, never raw JSON.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::validate::{
    Limits, parse_delete, parse_edit, parse_file_upload, parse_history, parse_join, parse_leave,
    parse_open_private, parse_react, parse_search, parse_send, parse_typing,
};
use super::{
    DeleteRequest, EditRequest, ErrorCode, FileUploadRequest, HistoryRequest, JoinRequest,
    OpenPrivateRequest, ReactRequest, SearchRequest, SendRequest, TypingRequest, WireError, events,
};

/// Every client → server event lanchat understands, validated. Its serde form is not the wire
/// protocol (that is [`Request::parse`]): it is how a validated request is written to a
/// cluster's log (`server/cluster/`), for the other nodes to apply as it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Request {
    Join(JoinRequest),
    Send(SendRequest),
    Leave {
        room: String,
    },
    Typing(TypingRequest),
    /// A liveness probe; answered at once, never queued.
    Ping,
    /// A ticket to upload a file to a room (the bytes follow over HTTP).
    FileUpload(FileUploadRequest),
    /// The author changes a message's text.
    Edit(EditRequest),
    /// The author deletes a message.
    Delete(DeleteRequest),
    /// Adds or takes back a reaction.
    React(ReactRequest),
    /// Asks for the private room with someone in a room you are in.
    OpenPrivate(OpenPrivateRequest),
    /// A page of a room's past (members only; read off the hub).
    History(HistoryRequest),
    /// Full-text search in a room (members only; read off the hub).
    Search(SearchRequest),
}

impl Request {
    /// Parses `event` with its payload. `guest_nick` names a tutorial client that joins with a
    /// bare room string (the tutorial's `joinRoom "room666"`).
    pub fn parse(
        event: &str,
        payload: &Value,
        limits: &Limits,
        guest_nick: impl FnOnce() -> String,
    ) -> Result<Request, WireError> {
        match event {
            events::JOIN_ROOM => parse_join(payload, guest_nick).map(Request::Join),
            events::SEND_MESSAGE => parse_send(payload, limits).map(Request::Send),
            events::LEAVE_ROOM => parse_leave(payload).map(|room| Request::Leave { room }),
            events::TYPING => parse_typing(payload).map(Request::Typing),
            events::PING => Ok(Request::Ping),
            events::FILE_UPLOAD => parse_file_upload(payload, limits).map(Request::FileUpload),
            events::EDIT_MESSAGE => parse_edit(payload, limits).map(Request::Edit),
            events::DELETE_MESSAGE => parse_delete(payload).map(Request::Delete),
            events::REACT => parse_react(payload).map(Request::React),
            events::OPEN_PRIVATE => parse_open_private(payload).map(Request::OpenPrivate),
            events::HISTORY => parse_history(payload).map(Request::History),
            events::SEARCH => parse_search(payload).map(Request::Search),
            other => Err(WireError::new(
                ErrorCode::UnknownEvent,
                format!(
                    "the server does not know the event {:?}",
                    other.chars().take(64).collect::<String>()
                ),
            )),
        }
    }

    /// The event name this request came as.
    pub fn event(&self) -> &'static str {
        match self {
            Request::Join(_) => events::JOIN_ROOM,
            Request::Send(_) => events::SEND_MESSAGE,
            Request::Leave { .. } => events::LEAVE_ROOM,
            Request::Typing(_) => events::TYPING,
            Request::Ping => events::PING,
            Request::FileUpload(_) => events::FILE_UPLOAD,
            Request::Edit(_) => events::EDIT_MESSAGE,
            Request::Delete(_) => events::DELETE_MESSAGE,
            Request::React(_) => events::REACT,
            Request::OpenPrivate(_) => events::OPEN_PRIVATE,
            Request::History(_) => events::HISTORY,
            Request::Search(_) => events::SEARCH,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(event: &str, v: Value) -> Result<Request, WireError> {
        Request::parse(event, &v, &Limits::default(), || "guest-1".into())
    }

    /// Each known event becomes its request and reports the same event name back.
    #[test]
    fn every_client_event_parses_to_its_request() {
        let cases = [
            (events::JOIN_ROOM, json!({"roomName": "a", "nickName": "b"})),
            (events::SEND_MESSAGE, json!({"room": "a", "message": "hi"})),
            (events::LEAVE_ROOM, json!({"room": "a"})),
            (events::TYPING, json!({"room": "a", "typing": true})),
            (events::PING, Value::Null),
            (
                events::FILE_UPLOAD,
                json!({"room": "a", "name": "f.txt", "size": 3}),
            ),
            (
                events::EDIT_MESSAGE,
                json!({"room": "a", "seq": 1, "message": "hi"}),
            ),
            (events::DELETE_MESSAGE, json!({"room": "a", "seq": 1})),
            (events::REACT, json!({"room": "a", "seq": 1, "emoji": "👍"})),
            (events::OPEN_PRIVATE, json!({"room": "a", "nickName": "b"})),
            (events::HISTORY, json!({"room": "a", "before": 10})),
            (events::SEARCH, json!({"room": "a", "q": "hello"})),
        ];
        let n = cases.len();
        for (event, payload) in cases {
            assert_eq!(parse(event, payload).unwrap().event(), event);
        }
        assert_eq!(events::CLIENT.len(), n);
    }

    /// An event the server does not know is refused with its own code, its name cut to 64 chars.
    #[test]
    fn unknown_events_are_refused_by_name() {
        let e = parse(&"x".repeat(500), Value::Null).unwrap_err();
        assert_eq!(e.code, ErrorCode::UnknownEvent);
        assert!(e.message.len() < 120);
    }
}
