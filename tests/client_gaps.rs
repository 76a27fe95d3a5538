//! The client notices a seq gap in live messages (messages the server could not deliver to it)
//! and catches up with `since`, showing every message once and in order. The server here is a
//! scripted Socket.IO server that skips seqs on purpose.

mod common;

use common::chat::{User, fast};
use serde_json::{Value, json};
use socketioxide::SocketIo;
use socketioxide::extract::{AckSender, Data, SocketRef};

fn msg(seq: u64, history: bool) -> Value {
    json!({"id": format!("id{seq}"), "room": "g", "seq": seq, "ts": 0, "kind": "chat",
           "nickName": "srv", "message": format!("m{seq}"), "history": history})
}

/// A live message with seq 5 after seq 2: the client holds it back, rejoins with since=2,
/// and shows 3, 4, 5 from the replay, then 6 live.
#[tokio::test(flavor = "multi_thread")]
async fn a_seq_gap_triggers_a_catch_up() {
    let (layer, io) = SocketIo::new_layer();
    io.ns("/", async |s: SocketRef| {
        s.on(
            "joinRoom",
            async |s: SocketRef, Data(v): Data<Value>, ack: AckSender| {
                let since = v.get("since").and_then(Value::as_u64);
                // `lastSeq` is the room's last seq as of the join: 2 for the first join (3 and 4
                // come after it and are "lost"), 5 for the catch-up.
                let ack_body = |last: u64| {
                    json!({"ok": true, "room": "g", "nickName": "me", "lastSeq": last, "members": []})
                };
                match since {
                    None => {
                        for seq in 1..=2 {
                            s.emit("message", &msg(seq, true)).unwrap();
                        }
                        ack.send(&ack_body(2)).unwrap();
                        s.emit("message", &msg(5, false)).unwrap(); // 3 and 4 "lost"
                    }
                    Some(since) => {
                        for seq in since + 1..=5 {
                            s.emit("message", &msg(seq, true)).unwrap();
                        }
                        ack.send(&ack_body(5)).unwrap();
                        s.emit("message", &msg(6, false)).unwrap();
                    }
                }
            },
        );
    });
    let app = axum::Router::new()
        .route(
            "/api/info",
            axum::routing::get(|| async {
                axum::Json(json!({"server": "lanchat", "name": "gappy", "version": "0", "passwordRequired": false, "rooms": []}))
            }),
        )
        .layer(layer);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });

    // A scripted server with no TLS: the client is told to go plain.
    let mut cfg = fast(&addr.to_string(), "me");
    cfg.trust.plain = true;
    let mut u = User::connect(cfg).await;
    u.client.join("g").await.unwrap();
    u.until(common::WAIT, |u| u.has("m6")).await;
    let seqs: Vec<u64> = u.shown.iter().map(|m| m.seq).collect();
    assert_eq!(seqs, [1, 2, 3, 4, 5, 6]);
}
