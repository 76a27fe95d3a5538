//! `Client::history` and `Client::search`: reading a room's past, in order with the client's
//! other requests (after the room's join, so the host knows we are a member).

use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::{Client, ClientError};
use crate::protocol::{
    ErrorCode, HistoryPage, PageAt, SearchResults, WireError, clean_query, clean_room, events,
};

impl Client {
    /// A page of `room`'s messages before, after or around a seq (at most `limit`, which the
    /// host caps at 100).
    pub async fn history(
        &self,
        room: &str,
        at: PageAt,
        limit: Option<usize>,
    ) -> Result<HistoryPage, ClientError> {
        let (key, seq) = match at {
            PageAt::Before(n) => ("before", n),
            PageAt::After(n) => ("after", n),
            PageAt::Around(n) => ("around", n),
        };
        let mut payload = json!({ "room": room, key: seq });
        if let Some(l) = limit {
            payload["limit"] = json!(l);
        }
        self.read(room, events::HISTORY, payload).await
    }

    /// Messages of `room` matching the words of `q`, newest first.
    pub async fn search(
        &self,
        room: &str,
        q: &str,
        limit: Option<usize>,
    ) -> Result<SearchResults, ClientError> {
        let q = clean_query(q)?;
        let mut payload = json!({ "room": room, "q": q });
        if let Some(l) = limit {
            payload["limit"] = json!(l);
        }
        self.read(room, events::SEARCH, payload).await
    }

    /// A read of the past: refused at once by a tutorial server (which would never answer).
    async fn read<T: DeserializeOwned>(
        &self,
        room: &str,
        event: &'static str,
        payload: Value,
    ) -> Result<T, ClientError> {
        if self.is_legacy() {
            return Err(ClientError::Refused(WireError::new(
                ErrorCode::UnknownEvent,
                "this server only speaks the tutorial's events: no history or search",
            )));
        }
        self.ask(&clean_room(room)?, event, payload).await
    }
}
