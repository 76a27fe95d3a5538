//! Where lanchat leans on how socketioxide behaves rather than on what it promises. Each
//! workaround names the version it was written for and has a test that fails when upstream
//! changes the behaviour it relies on — then the workaround can go (or must change).
//!
//! Written for socketioxide 0.18 (see Cargo.lock).
//!
//! The send budget (`outflow`, `wire`) leans on socketioxide 0.18 and engineioxide 0.17 too,
//! since neither counts queued bytes nor can close one connection's transport. It relies on:
//! - the engine.io text of an event being `42["event",data]` and of an ack `43<id>[body]`
//!   (`outflow::event_len`, `ack_len`), one WebSocket text frame per packet, and long-polling
//!   payloads joined by 0x1e — `tests/hostile_wire.rs`
//!   `the_send_budget_counts_packets_as_they_are_written` fails if the framing changes, and
//!   the calm pair's count not returning to 0 (`tests/hostile_memory.rs`) if the frames do;
//! - a socket's id being its engine.io session id, the `sid` of its long-polling and upgrade
//!   requests — else a session that never polls is never cut off
//!   (`long_polling_sessions_that_never_poll_are_dropped_at_their_send_budget`);
//! - engine.io closing a session whose TCP stream fails (WebSocket) or that cannot answer the
//!   heartbeat (long-polling), which is how a connection over budget is dropped
//!   (`clients_that_stop_reading_are_dropped_at_their_send_budget`).

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use socketioxide::BroadcastError;
use socketioxide::extract::SocketRef;

/// Runs a broadcast to completion now, without an `.await`.
///
/// Relies on: the local adapter only queues packets on the sockets, so its broadcast future is
/// ready at the first poll (the future is async for remote adapters, which lanchat does not
/// use). This lets the hub's driver broadcast in order from plain code, between other effects.
pub fn at_once<F: Future<Output = Result<(), BroadcastError>>>(
    fut: F,
) -> Result<(), BroadcastError> {
    match pin!(fut).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(r) => r,
        Poll::Pending => {
            tracing::error!("a broadcast did not complete at once; dropped");
            Ok(())
        }
    }
}

/// How long requests wait for socketioxide to finish a connect before they are dropped.
pub const CONNECT_WAIT: Duration = Duration::from_secs(10);

/// Waits (at most [`CONNECT_WAIT`]) until socketioxide marks `socket` connected; `false` if it
/// never did.
///
/// Relies on: socketioxide sends the client its CONNECT answer a moment before it marks the
/// socket connected, and refuses emits to it until then — so a `joinRoom` sent straight after
/// connecting and applied at once would have its history, notices and acks dropped (seen under
/// load in the hostile suite). Requests arriving in that gap wait here, in order.
pub async fn until_connected(socket: &SocketRef) -> bool {
    let deadline = tokio::time::Instant::now() + CONNECT_WAIT;
    while !socket.connected() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    socket.connected()
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use futures_util::FutureExt;
    use rust_socketio::asynchronous::ClientBuilder;
    use socketioxide::SocketIo;
    use socketioxide::extract::SocketRef;
    use tokio::sync::mpsc;

    use super::*;

    /// A real socketioxide server on 127.0.0.1:0 whose connect middleware records what a socket
    /// looks like before it is marked connected, and whose sockets join room "r".
    async fn server() -> (
        SocketIo,
        std::net::SocketAddr,
        Arc<Mutex<Vec<(bool, bool)>>>,
        mpsc::UnboundedReceiver<()>,
    ) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::unbounded_channel();
        let (layer, io) = SocketIo::new_layer();
        let record = seen.clone();
        let middleware = move |s: SocketRef| {
            let record = record.clone();
            async move {
                let emitted = s.emit("early", &1).is_ok();
                record.lock().unwrap().push((s.connected(), emitted));
                Ok::<(), std::convert::Infallible>(())
            }
        };
        use socketioxide::handler::ConnectHandler;
        io.ns(
            "/",
            (async move |s: SocketRef| {
                s.join("r");
                let _ = tx.send(());
            })
            .with(middleware),
        );
        let app = axum::Router::new().layer(layer);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        (io, addr, seen, rx)
    }

    async fn client(addr: std::net::SocketAddr) -> rust_socketio::asynchronous::Client {
        ClientBuilder::new(format!("http://{addr}"))
            .transport_type(rust_socketio::TransportType::Websocket)
            .connect()
            .await
            .expect("client connects")
    }

    /// `at_once` relies on the local adapter's broadcast being ready at the first poll.
    #[tokio::test]
    async fn local_broadcasts_complete_at_the_first_poll() {
        let (io, addr, _, mut joined) = server().await;
        let _c = client(addr).await;
        tokio::time::timeout(Duration::from_secs(10), joined.recv())
            .await
            .unwrap();
        let mut fut = pin!(io.to("r").emit("x", &1));
        let polled = fut.as_mut().poll(&mut Context::from_waker(Waker::noop()));
        assert!(
            matches!(polled, Poll::Ready(Ok(()))),
            "socketioxide's local broadcast is no longer ready at once: revisit at_once"
        );
        // And the helper itself reports success for a room with a member in it.
        assert!(at_once(io.to("r").emit("y", &2)).is_ok());
        assert!(io.to("r").emit("z", &3).now_or_never().is_some());
    }

    /// The connect-gap wait relies on a socket not being connected (and refusing emits) while
    /// its connect middleware runs; if upstream marks it connected first, the wait is moot.
    #[tokio::test]
    async fn sockets_are_not_connected_during_the_connect_middleware() {
        let (_io, addr, seen, mut joined) = server().await;
        let _c = client(addr).await;
        tokio::time::timeout(Duration::from_secs(10), joined.recv())
            .await
            .unwrap();
        let seen = seen.lock().unwrap().clone();
        assert_eq!(
            seen,
            vec![(false, false)],
            "socketioxide now marks sockets connected before the CONNECT answer: revisit until_connected"
        );
    }
}
