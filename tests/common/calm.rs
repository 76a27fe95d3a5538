//! The hostile suite's yardstick: the calm pair, two ordinary users who must still be able to
//! talk after every hostile act, and the assertions for a refusal (an error ack or a
//! `requestError` with a code and a readable message). docs/security.md lists every case.

use std::sync::atomic::{AtomicUsize, Ordering};

use lanchat::server::RunningServer;
use serde_json::{Value, json};

use super::{Peer, WAIT, start_default, text_is, url};

/// The calm users' room.
pub const ROOM: &str = "calm";

/// Awaits `fut`, failing the named case if it takes longer than [`WAIT`]. (The helpers in
/// `common` have their own timeouts of the same length; whichever fires first fails the test.)
pub async fn within<T>(case: &str, fut: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(WAIT, fut)
        .await
        .unwrap_or_else(|_| panic!("[{case}] timed out"))
}

/// Two well-behaved users in [`ROOM`] who check, after each hostile act, that the server still
/// carries their conversation.
pub struct Calm {
    pub a: Peer,
    pub b: Peer,
    pub url: String,
    auth: Value,
    checks: AtomicUsize,
}

impl Calm {
    pub async fn join(s: &RunningServer) -> Calm {
        Calm::join_with(s, json!({})).await
    }

    pub async fn join_with(s: &RunningServer, auth: Value) -> Calm {
        let url = url(s);
        let a = Peer::connect_with(&url, auth.clone())
            .await
            .expect("calm-a");
        let b = Peer::connect_with(&url, auth.clone())
            .await
            .expect("calm-b");
        a.join(ROOM, "calm-a").await;
        b.join(ROOM, "calm-b").await;
        Calm {
            a,
            b,
            url,
            auth,
            checks: AtomicUsize::new(0),
        }
    }

    /// The server is up and unaffected by `case`: calm-a's message reaches calm-b under
    /// calm-a's name, `/api/info` answers, and a new user can connect and get a `ping` answer.
    pub async fn check(&self, case: &str) {
        self.check_pair(case).await;
        let fresh = within(case, Peer::connect_with(&self.url, self.auth.clone()))
            .await
            .unwrap_or_else(|e| panic!("[{case}] a new user cannot connect: {e:?}"));
        let pong = within(case, fresh.request("ping", Value::Null)).await;
        assert_eq!(pong["ok"], true, "[{case}] ping: {pong}");
        fresh.close().await;
    }

    /// [`Calm::check`] without the new connection (for servers at their connection cap).
    pub async fn check_pair(&self, case: &str) {
        let n = self.checks.fetch_add(1, Ordering::Relaxed);
        let text = format!("calm check {n} after: {case}");
        let ack = within(case, self.a.send(ROOM, &text)).await;
        assert_eq!(
            ack["ok"], true,
            "[{case}] the calm user could not send: {ack}"
        );
        let got = within(case, self.b.wait_for("message", text_is(&text))).await;
        assert_eq!(got["nickName"], "calm-a", "[{case}] {got}");
        let info = within(case, reqwest::get(format!("{}/api/info", self.url)))
            .await
            .unwrap_or_else(|e| panic!("[{case}] /api/info: {e}"));
        assert!(
            info.status().is_success(),
            "[{case}] /api/info: {}",
            info.status()
        );
    }
}

/// Sends `event` with an ack callback and asserts the refusal `{ok: false, error: {code,
/// message}}`.
pub async fn refused(p: &Peer, case: &str, event: &str, payload: Value, code: &str) {
    let ack = within(case, p.request(event, payload)).await;
    assert_eq!(ack["ok"], false, "[{case}] accepted: {ack}");
    assert_eq!(ack["error"]["code"], code, "[{case}] {ack}");
    let msg = ack["error"]["message"].as_str().unwrap_or_default();
    assert!(
        !msg.trim().is_empty(),
        "[{case}] no readable message: {ack}"
    );
}

/// Sends `event` without an ack callback and asserts the `requestError` event.
pub async fn refused_quietly(p: &Peer, case: &str, event: &str, payload: Value, code: &str) {
    within(case, p.emit(event, payload)).await;
    let e = within(case, p.wait_for("requestError", |_| true)).await;
    assert_eq!(e["code"], code, "[{case}] {e}");
    assert_eq!(e["event"].as_str(), Some(event), "[{case}] {e}");
    assert!(
        !e["message"].as_str().unwrap_or_default().trim().is_empty(),
        "[{case}] no readable message: {e}"
    );
}

/// Sends `event` with an ack callback and asserts success; returns the ack.
pub async fn accepted(p: &Peer, case: &str, event: &str, payload: Value) -> Value {
    let ack = within(case, p.request(event, payload)).await;
    assert_eq!(ack["ok"], true, "[{case}] refused: {ack}");
    ack
}

/// A test server, the calm pair, and `eve`, a hostile user who has joined their room.
pub async fn server_with_eve() -> (RunningServer, Calm, Peer) {
    let s = start_default().await;
    let calm = Calm::join(&s).await;
    let eve = Peer::connect(&url(&s)).await;
    eve.join(ROOM, "eve").await;
    (s, calm, eve)
}
