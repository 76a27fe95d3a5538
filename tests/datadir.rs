//! One server per data directory (issue #10): a second store, a second window host or a second
//! `lanchat serve` on a directory in use refuses to start, naming the directory and the
//! process that has it, and the first one keeps serving.

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};

use common::calm::*;
use common::*;
use lanchat::datadir::open_store;

/// The sentence a refusal must contain: the directory and the holder's pid.
fn names_dir_and_pid(text: &str, dir: &Path, pid: u32) {
    assert!(
        text.contains(&dir.display().to_string()),
        "the directory is not named: {text}"
    );
    assert!(
        text.contains(&format!("pid {pid}")),
        "the holder's pid {pid} is not named: {text}"
    );
}

/// A second server on a directory a server in this process runs on is refused with the
/// directory and the holder's pid; once the first has stopped and let go, it can be used again.
#[tokio::test(flavor = "multi_thread")]
async fn a_second_server_on_a_directory_in_use_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (store, lock) = open_store(dir.path()).unwrap();
    let s = start(test_config(), store).await;
    let calm = Calm::join(&s).await;
    let err = open_store(dir.path())
        .err()
        .expect("a second server on the same directory");
    names_dir_and_pid(&err.to_string(), dir.path(), std::process::id());
    calm.check("a second server refused").await;
    drop(calm);
    s.stop().await.unwrap();
    drop(lock);
    let (store, _lock) = open_store(dir.path()).unwrap();
    let s = start(test_config(), store).await;
    Calm::join(&s).await.check("the directory reused").await;
}

/// Hosting from the window on a directory in use fails before listening, with the same
/// sentence (and the IPC error the window shows says it too).
#[tokio::test(flavor = "multi_thread")]
async fn hosting_on_a_directory_in_use_says_who_has_it() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _lock) = open_store(dir.path()).unwrap();
    let s = start(test_config(), store).await;
    let calm = Calm::join(&s).await;
    // Port 0 and no announcing: should the check ever come after listening, this test still
    // binds nothing fixed and sends nothing onto the LAN.
    let err = lanchat::host::start(0, None, dir.path(), false)
        .await
        .err()
        .expect("a second host on the same directory");
    let text = err.to_string();
    names_dir_and_pid(&text, dir.path(), std::process::id());
    #[cfg(feature = "desktop")]
    {
        let ipc = lanchat::desktop::error::IpcError::from(err);
        assert_eq!(ipc.message, text);
    }
    calm.check("a second host refused").await;
}

/// A `lanchat serve` child, killed when dropped so a failing test leaves no server behind.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `lanchat serve` printing `listening on http://127.0.0.1:PORT` first: the child and its port.
fn serve(data: &Path) -> (Server, u16) {
    let mut child = serve_command(data)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn lanchat serve");
    let port = common::first_port(&mut child);
    (Server(child), port)
}

fn serve_command(data: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_lanchat"));
    c.args(["serve", "--bind", "127.0.0.1", "--port", "0", "--data"])
        .arg(data)
        .env_remove("LANCHAT_PASSWORD");
    c
}

/// A second `lanchat serve` on the same `--data` exits non-zero, naming the directory and the
/// first server's pid, and the first keeps serving its users.
#[tokio::test(flavor = "multi_thread")]
async fn a_second_serve_on_the_same_data_exits_naming_the_first() {
    let dir = tempfile::tempdir().unwrap();
    let (mut first, port) = serve(dir.path());
    let url = format!("http://127.0.0.1:{port}");
    let a = Peer::connect(&url).await;
    let b = Peer::connect(&url).await;
    a.join(ROOM, "calm-a").await;
    b.join(ROOM, "calm-b").await;

    let mut second = tokio::process::Command::from(serve_command(dir.path()));
    let second = second
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true) // should it serve after all, the timeout below ends it
        .spawn()
        .expect("spawn the second lanchat serve");
    let out = tokio::time::timeout(WAIT, second.wait_with_output())
        .await
        .expect("the second server should exit, not serve")
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "the second server exited 0: {stderr}"
    );
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("listening"),
        "the second server listened"
    );
    names_dir_and_pid(&stderr, dir.path(), first.0.id());

    let ack = a.send(ROOM, "still here").await;
    assert_eq!(ack["ok"], true, "{ack}");
    let got = b.wait_for("message", text_is("still here")).await;
    assert_eq!(got["nickName"], "calm-a");
    assert!(
        first.0.try_wait().unwrap().is_none(),
        "the first server stopped"
    );
}

/// Files under `dir` this process has open (Linux: the links in /proc/self/fd).
#[cfg(target_os = "linux")]
fn open_files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let dir = dir.canonicalize().unwrap();
    std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
        .filter(|target| target.starts_with(&dir))
        .collect()
}

/// Stopping a server lets go of its history: no file of its directory stays open, so another
/// server may have it. Fails today: the server's state, hub and Socket.IO handle refer to each
/// other, so a stopped server keeps its store and SQLite connection until the process exits
/// (`host.rs` keeps the window's directory lock for that reason). Drop the `ignore` once the
/// server no longer leaks.
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread")]
async fn a_stopped_server_closes_its_history() {
    let dir = tempfile::tempdir().unwrap();
    let (store, lock) = open_store(dir.path()).unwrap();
    let s = start(test_config(), store).await;
    s.stop().await.unwrap();
    drop(lock);
    common::raw::eventually("the history is closed", || {
        open_files_under(dir.path()).is_empty()
    })
    .await;
}
