//! `lanchat join` as a person uses it in a terminal: it stops on Ctrl-C or SIGTERM even while
//! it waits for the next line on stdin.
#![cfg(unix)]

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// `lanchat join ADDR --room r --nick term`, trusting the test host on first use with a
/// known-hosts file of its own (in `known`) and no password from the environment.
fn join_term(s: &lanchat::server::RunningServer, known: &tempfile::TempDir) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_lanchat"));
    c.args(["join", &s.addr.to_string(), "--room", "r", "--nick", "term"])
        .arg("--accept-new-host")
        .env("LANCHAT_KNOWN_HOSTS", known.path().join("known_hosts"))
        .env_remove("LANCHAT_PASSWORD");
    c
}

/// SIGTERM ends `lanchat join` promptly and cleanly although stdin stays open with nothing
/// typed (the reader thread is blocked in read(2)).
#[tokio::test(flavor = "multi_thread")]
async fn join_stops_on_sigterm_with_stdin_open() {
    let s = common::start_default().await;
    let known = tempfile::tempdir().unwrap();
    let mut child = join_term(&s, &known)
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

/// `/send PATH` in `lanchat join` shares a file: the room gets it, `join` prints it as
/// `nick: 📎 name (size) URL`, and `lanchat download URL` fetches it byte-identical — and
/// continues a partial download instead of starting over.
#[tokio::test(flavor = "multi_thread")]
async fn join_sends_a_file_and_download_fetches_it() {
    use std::io::Write;
    let (s, dir) = common::files::start_files().await;
    let known = tempfile::tempdir().unwrap();
    let watcher = common::Peer::connect(&common::url(&s)).await;
    watcher.join("r", "watch").await;
    let bytes = common::files::pattern(3_000_000);
    let src = dir.path().join("report.bin");
    std::fs::write(&src, &bytes).unwrap();

    let mut child = Command::new(env!("CARGO_BIN_EXE_lanchat"))
        .args(["join", &s.addr.to_string(), "--room", "r", "--nick", "term"])
        .arg("--accept-new-host")
        .env("LANCHAT_KNOWN_HOSTS", known.path().join("known_hosts"))
        .env_remove("LANCHAT_PASSWORD")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn lanchat join");
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "/send {}", src.display()).unwrap();
    let m = watcher.wait_for("message", |v| v["kind"] == "file").await;
    assert_eq!(
        (&m["nickName"], &m["file"]["name"]),
        (&serde_json::json!("term"), &serde_json::json!("report.bin"))
    );
    // join prints the file message with an absolute link.
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    let link = loop {
        line.clear();
        assert!(out.read_line(&mut line).unwrap() > 0, "join exited early");
        if let Some(rest) = line.trim().strip_prefix("term: 📎 report.bin (3.0 MB) ") {
            break rest.to_owned();
        }
    };
    assert!(
        link.starts_with(&format!("https://{}/files/", s.addr)),
        "{link}"
    );
    drop(stdin);
    let exit = child.wait().unwrap();
    assert!(exit.success(), "{exit}");

    let dest = dir.path().join("copy.bin");
    let dl = Command::new(env!("CARGO_BIN_EXE_lanchat"))
        .args(["download", &link, "-o"])
        .env("LANCHAT_KNOWN_HOSTS", known.path().join("known_hosts"))
        .arg(&dest)
        .output()
        .unwrap();
    assert!(
        dl.status.success(),
        "{}",
        String::from_utf8_lossy(&dl.stderr)
    );
    assert!(
        std::fs::read(&dest).unwrap() == bytes,
        "downloaded bytes differ"
    );

    // A partial download (here: 1,000 marker bytes) is continued from where it stopped.
    let resumed = dir.path().join("resumed.bin");
    std::fs::write(lanchat::client::partial_path(&resumed), vec![b'X'; 1000]).unwrap();
    let dl = Command::new(env!("CARGO_BIN_EXE_lanchat"))
        .args(["download", &link, "-o"])
        .env("LANCHAT_KNOWN_HOSTS", known.path().join("known_hosts"))
        .arg(&resumed)
        .output()
        .unwrap();
    assert!(
        dl.status.success(),
        "{}",
        String::from_utf8_lossy(&dl.stderr)
    );
    let got = std::fs::read(&resumed).unwrap();
    assert_eq!(got.len(), bytes.len());
    assert!(got[..1000].iter().all(|&b| b == b'X') && got[1000..] == bytes[1000..]);
    assert!(!lanchat::client::partial_path(&resumed).exists());
    s.stop().await.unwrap();
}

/// `/search WORDS` in `lanchat join` prints the room's messages with those words, newest first,
/// the matched words between `*`, then the count.
#[tokio::test(flavor = "multi_thread")]
async fn join_searches_the_room() {
    use std::io::Write;
    let s = common::start_default().await;
    let ann = common::Peer::connect(&common::url(&s)).await;
    ann.join("r", "ann").await;
    ann.send("r", "the budget is ready").await;
    ann.send("r", "lunch?").await;
    let known = tempfile::tempdir().unwrap();
    let mut child = join_term(&s, &known)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn lanchat join");
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "/search budg").unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", out.status);
    let text = String::from_utf8_lossy(&out.stdout);
    let found: Vec<&str> = text.lines().filter(|l| l.starts_with("? ")).collect();
    assert_eq!(
        found,
        ["? #2 ann: the *budget* is ready", "? 1 found for \"budg\""],
        "{text}"
    );
    s.stop().await.unwrap();
}
