//! `lanchat join` as a person uses it in a terminal: it stops on Ctrl-C or SIGTERM even while
//! it waits for the next line on stdin.
#![cfg(unix)]

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// SIGTERM ends `lanchat join` promptly and cleanly although stdin stays open with nothing
/// typed (the reader thread is blocked in read(2)).
#[tokio::test(flavor = "multi_thread")]
async fn join_stops_on_sigterm_with_stdin_open() {
    let s = common::start_default().await;
    let mut child = Command::new(env!("CARGO_BIN_EXE_lanchat"))
        .args(["join", &s.addr.to_string(), "--room", "r", "--nick", "term"])
        .env_remove("LANCHAT_PASSWORD")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn lanchat join");
    let _stdin_kept_open = child.stdin.take();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    while !line.contains("connected") {
        line.clear();
        assert!(err.read_line(&mut line).unwrap() > 0, "join exited early");
    }
    std::thread::spawn(move || std::io::copy(&mut err, &mut std::io::sink()));

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(5);
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("lanchat join still running 5 s after SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "{exit}");
    s.stop().await.unwrap();
}
