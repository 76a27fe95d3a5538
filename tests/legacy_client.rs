//! lanchat's own client against a tutorial-style server (no `/api/info`, no acks, no seqs):
//! legacy mode joins without an answer, counts a message as delivered when its echo comes back,
//! and shows the tutorial's messages in the room it is in. The server here is the NestJS
//! tutorial's gateway, scripted with socketioxide.

mod common;

use common::WAIT;
use common::chat::User;
use lanchat::protocol::Kind;
use serde_json::{Value, json};
use socketioxide::SocketIo;
use socketioxide::extract::{Data, SocketRef};
use socketioxide::handler::ConnectHandler;

/// The tutorial's server speaks no TLS: lanchat's client reaches it only when told to go plain
/// (`lanchat join --insecure-plain`).
fn plain(addr: &str, nick: &str) -> lanchat::client::ClientConfig {
    let mut cfg = common::chat::fast(addr, nick);
    cfg.trust.plain = true;
    cfg
}

/// The tutorial's handlers: broadcast to the whole room, sender included; answer nothing.
///
/// They are attached in a connect middleware, as a NestJS gateway's are there before any
/// client connects: socketioxide runs the connect handler in a task spawned after the CONNECT
/// answer, so handlers attached there miss an event sent straight after connecting (seen under
/// load: bob's `joinRoom` was dropped).
async fn tutorial_server() -> String {
    let (layer, io) = SocketIo::new_layer();
    let attach = async |s: SocketRef| -> Result<(), std::convert::Infallible> {
        s.on("joinRoom", async |s: SocketRef, Data(v): Data<Value>| {
            let room = v["roomName"].as_str().unwrap_or_default().to_owned();
            let nick = v["nickName"].as_str().unwrap_or_default().to_owned();
            s.join(room.clone());
            let notice = json!({"nickName": nick, "message": format!("{nick} 加入了 {room} 房间")});
            s.within(room).emit("message", &notice).await.unwrap();
        });
        s.on("sendMessage", async |s: SocketRef, Data(v): Data<Value>| {
            let room = v["room"].as_str().unwrap_or_default().to_owned();
            let body = json!({"nickName": v["nickName"], "message": v["message"]});
            s.within(room).emit("message", &body).await.unwrap();
        });
        Ok(())
    };
    io.ns("/", { async || {} }.with(attach));
    let app = axum::Router::new().layer(layer);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr.to_string()
}

/// Joining answers at once, a send is acknowledged when its echo arrives, and both users see
/// the join notice (as a join) and the message (as chat) in their room.
#[tokio::test(flavor = "multi_thread")]
async fn a_tutorial_server_works_in_legacy_mode() {
    let addr = tutorial_server().await;
    let mut ann = User::connect(plain(&addr, "ann")).await;
    assert!(ann.client.is_legacy());
    let ack = ann.client.join("lobby").await.unwrap();
    assert_eq!((ack.last_seq, ack.members.len()), (0, 0));
    // A legacy join is done once emitted; Ann's own notice shows the server has her in the
    // room (else Bob's join, on another connection, may be applied first and pass her by).
    ann.until(WAIT, |u| {
        u.shown
            .iter()
            .any(|m| m.kind == Kind::Join && m.nick_name == "ann")
    })
    .await;
    let mut bob = User::connect(plain(&addr, "bob")).await;
    bob.client.join("lobby").await.unwrap();
    // Bob's notice reaching Ann shows the server has put him in the room.
    ann.until(WAIT, |u| {
        u.shown
            .iter()
            .any(|m| m.kind == Kind::Join && m.nick_name == "bob")
    })
    .await;

    let sent = ann.client.send("lobby", "hello", None).unwrap();
    tokio::time::timeout(WAIT, sent)
        .await
        .expect("no echo")
        .unwrap()
        .expect("delivered by echo");
    ann.client.flush().await.unwrap();
    for u in [&mut ann, &mut bob] {
        u.until(WAIT, |u| u.has("hello")).await;
        let hello = u.shown.iter().find(|m| m.message == "hello").unwrap();
        assert_eq!((hello.room.as_str(), hello.seq), ("lobby", 0));
    }
}
