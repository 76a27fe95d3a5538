//! Soak: hundreds of clients in several rooms, thousands of messages, a third of the clients
//! behind a proxy that keeps cutting them off. At the end every client has been shown every
//! message of its room exactly once, in seq order.

mod common;

use std::time::Duration;

use common::chat::User;
use common::proxy::FaultProxy;
use common::*;

/// Scale with LANCHAT_SOAK_SCALE (default 1: 200 clients, 10 rooms, 2,000 messages).
fn scale() -> usize {
    std::env::var("LANCHAT_SOAK_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_clients_many_messages_with_reconnects() {
    let rooms = 10;
    let per_room = 20 * scale();
    let messages = 200 * scale();
    let s = start_default().await;
    let flaky = FaultProxy::start(s.addr).await;

    let mut users = Vec::new();
    for r in 0..rooms {
        for i in 0..per_room {
            // Every third client goes through the flaky link.
            let address = if i % 3 == 0 { flaky.url() } else { url(&s) };
            users.push((
                r,
                User::join(&address, &format!("u{r}-{i}"), &format!("room{r}")).await,
            ));
        }
    }
    let senders: Vec<_> = (0..rooms)
        .map(|r| {
            let addr = url(&s);
            tokio::spawn(async move {
                let u = User::join(&addr, &format!("sender{r}"), &format!("room{r}")).await;
                let mut acks = Vec::new();
                for k in 0..messages {
                    acks.push(
                        u.client
                            .send(&format!("room{r}"), &format!("r{r} m{k}"), None)
                            .unwrap(),
                    );
                }
                for a in acks {
                    a.await.unwrap().expect("acked");
                }
                u
            })
        })
        .collect();

    // Cut the flaky link a few times while the rooms are busy.
    let chaos = tokio::spawn(async move {
        for _ in 0..4 {
            tokio::time::sleep(Duration::from_millis(400)).await;
            flaky.cut();
            tokio::time::sleep(Duration::from_millis(200)).await;
            flaky.restore();
        }
        flaky
    });
    let mut done_senders = Vec::new();
    for s in senders {
        done_senders.push(s.await.unwrap());
    }
    let _flaky = chaos.await.unwrap();

    let last = format!("m{}", messages - 1);
    for (r, u) in users.iter_mut() {
        let want = format!("r{r} {last}");
        u.until(Duration::from_secs(60), |u| u.has(&want)).await;
        let chats = u.chats();
        let texts: Vec<String> = chats
            .iter()
            .map(|(_, t)| t.clone())
            .filter(|t| !t.is_empty())
            .collect();
        let expected: Vec<String> = (0..messages).map(|k| format!("r{r} m{k}")).collect();
        assert_eq!(
            texts, expected,
            "room{r}: missing, duplicated or reordered messages"
        );
        assert!(
            chats.windows(2).all(|w| w[0].0 < w[1].0),
            "seq order broken in room{r}"
        );
    }
    let reconnected = users
        .iter()
        .filter(|(_, u)| u.states.contains(&lanchat::client::ConnState::Reconnecting))
        .count();
    assert!(
        reconnected >= rooms * per_room / 3 / 2,
        "only {reconnected} clients were cut off"
    );
}
