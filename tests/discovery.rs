//! Discovery for real: `lanchat serve` on machines that are network namespaces on a bridge the
//! test builds (tests/common/netns.rs) announces itself over mDNS, and `lanchat discover` on
//! another machine there finds it — multicast crossing real (virtual) interfaces, never this
//! computer's own network. Without root or iproute2 the namespace tests say SKIPPED and why;
//! with `LANCHAT_REQUIRE_NETNS` set (CI) that is a failure instead.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::netns::Lan;
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_lanchat");
/// How long a host may take to appear or go (the goal is < 2 s; this is the failure line).
const WAIT: Duration = Duration::from_secs(30);

/// The LAN for a test, or `None` after saying why the test is skipped.
fn lan(test: &str, machines: &[&str]) -> Option<Lan> {
    match Lan::unavailable() {
        None => Some(Lan::new(machines)),
        Some(why) if std::env::var_os("LANCHAT_REQUIRE_NETNS").is_some() => {
            panic!("{test}: LANCHAT_REQUIRE_NETNS is set but {why}")
        }
        Some(why) => {
            eprintln!("SKIPPED {test}: {why}. It needs root and iproute2 (CI has both).");
            None
        }
    }
}

/// `lanchat` on `machine` with only the test's own switches: the ones the caller's environment
/// may hold (CI turns discovery off for everything else) are dropped.
fn lanchat(lan: &Lan, machine: &str, args: &[&str]) -> Command {
    let mut c = lan.command(machine, BIN);
    c.args(args)
        .env_remove("LANCHAT_NO_DISCOVERY")
        .env_remove("LANCHAT_NO_ANNOUNCE")
        .env_remove("LANCHAT_PASSWORD")
        .env("RUST_LOG", "error");
    c
}

/// A running `lanchat`, its stdout as lines; killed when dropped.
struct Proc {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Proc {
    fn spawn(mut cmd: Command) -> Proc {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawning lanchat");
        let out = BufReader::new(child.stdout.take().unwrap());
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in out.lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Proc { child, lines }
    }

    /// The first line that `pick` accepts, waiting at most `WAIT`.
    fn line<T>(&self, what: &str, pick: impl Fn(&str) -> Option<T>) -> T {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(l) => {
                    if let Some(v) = pick(&l) {
                        return v;
                    }
                }
                Err(e) => panic!("no line with {what} within {WAIT:?} ({e})"),
            }
        }
    }

    /// A `serve`'s port, from `listening on http://127.0.0.1:PORT`.
    fn port(&self) -> u16 {
        self.line("the listening port", |l| {
            l.strip_prefix("listening on http://127.0.0.1:")?
                .parse()
                .ok()
        })
    }

    /// SIGTERM (a host's graceful stop: its goodbye goes out), then wait for the exit.
    fn terminate(&mut self) {
        let pid = self.child.id().to_string();
        let ok = Command::new("kill").args(["-TERM", &pid]).status();
        assert!(ok.is_ok_and(|s| s.success()), "kill -TERM {pid}");
        let deadline = Instant::now() + WAIT;
        while self.child.try_wait().unwrap().is_none() {
            assert!(
                Instant::now() < deadline,
                "lanchat {pid} did not stop on SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `lanchat serve` on `machine`, on a free port, history in memory.
fn serve(lan: &Lan, machine: &str, extra: &[&str]) -> (Proc, u16) {
    let mut args = vec!["serve", "--memory", "--port", "0"];
    args.extend_from_slice(extra);
    let p = Proc::spawn(lanchat(lan, machine, &args));
    let port = p.port();
    (p, port)
}

/// One `lanchat discover --json` on `machine`.
fn discover_once(lan: &Lan, machine: &str) -> Vec<Value> {
    let out = lanchat(lan, machine, &["discover", "--json", "--timeout", "2"])
        .output()
        .expect("running lanchat discover");
    assert!(
        out.status.success(),
        "discover failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice::<Value>(&out.stdout)
        .expect("discover --json prints JSON")
        .as_array()
        .expect("an array of hosts")
        .clone()
}

fn find<'a>(hosts: &'a [Value], address: &str) -> Option<&'a Value> {
    hosts.iter().find(|h| h["address"] == address)
}

/// Two hosts on two machines appear to `lanchat discover` on a third, with their name,
/// address, password flag and version; a host started with `--no-announce`, one with
/// `LANCHAT_NO_ANNOUNCE=1` and one bound to loopback never do.
#[test]
fn two_hosts_appear_and_quiet_ones_never_do() {
    let Some(lan) = lan(
        "two_hosts_appear_and_quiet_ones_never_do",
        &["a", "b", "quiet", "viewer"],
    ) else {
        return;
    };
    // The quiet hosts start first: they have had longer than the others to show up.
    let (_q1, q1) = serve(&lan, "quiet", &["--no-announce", "--name", "Quiet 1"]);
    let mut env_quiet = lanchat(&lan, "quiet", &["serve", "--memory", "--port", "0"]);
    env_quiet.env("LANCHAT_NO_ANNOUNCE", "1");
    let q2p = Proc::spawn(env_quiet);
    let q2 = q2p.port();
    let (_q3, _) = serve(&lan, "quiet", &["--bind", "127.0.0.1", "--name", "Quiet 3"]);
    let (pa, a) = serve(&lan, "a", &["--name", "Room A"]);
    // What `serve` prints people to compare, and what the record must carry for a join to pin.
    let fp_a = pa.line("the fingerprint", |l| {
        lanchat::tls::Fingerprint::parse(l.strip_prefix("fingerprint ")?.split(" (").next()?)
    });
    let (_b, b) = serve(&lan, "b", &["--name", "Room B", "--password", "pw"]);
    let a_addr = format!("{}:{a}", lan.addr("a"));
    let b_addr = format!("{}:{b}", lan.addr("b"));

    let start = Instant::now();
    let mut every = Vec::new();
    let hosts = loop {
        let hosts = discover_once(&lan, "viewer");
        every.extend(hosts.iter().cloned());
        if find(&hosts, &a_addr).is_some() && find(&hosts, &b_addr).is_some() {
            break hosts;
        }
        assert!(
            start.elapsed() < WAIT,
            "A and B not both found within {WAIT:?}; saw {every:?}"
        );
    };
    eprintln!("both hosts found after {:?}", start.elapsed());
    let ha = find(&hosts, &a_addr).unwrap();
    assert_eq!(ha["name"], "Room A");
    assert_eq!(ha["passwordRequired"], false);
    assert_eq!(ha["port"], a);
    assert_eq!(ha["addresses"], serde_json::json!([lan.addr("a")]));
    assert_eq!(ha["version"], env!("CARGO_PKG_VERSION"));
    assert!(ha["id"].as_str().unwrap().starts_with("lanchat-"));
    assert_eq!(
        ha["fingerprint"],
        fp_a.hex(),
        "the record carries the host's fingerprint"
    );
    let hb = find(&hosts, &b_addr).unwrap();
    assert_eq!(hb["name"], "Room B");
    assert_eq!(hb["passwordRequired"], true);
    assert_ne!(ha["id"], hb["id"]);

    // One more look, then nothing from the quiet machine may have shown up in any of them.
    every.extend(discover_once(&lan, "viewer"));
    let quiet = lan.addr("quiet");
    assert!(
        every
            .iter()
            .all(|h| !h["addresses"].to_string().contains(&quiet)),
        "a host that must not announce was found: {every:?} (ports {q1}, {q2})"
    );
}

/// A browse that stays running (`discover --watch --json`) sees both hosts come, sees a
/// host's people count follow a guest who joins, and sees a host that stops go — while the
/// other stays.
#[test]
fn a_stopped_host_disappears_and_counts_stay_current() {
    let Some(lan) = lan(
        "a_stopped_host_disappears_and_counts_stay_current",
        &["a", "b", "viewer"],
    ) else {
        return;
    };
    let watch = Proc::spawn(lanchat(&lan, "viewer", &["discover", "--watch", "--json"]));
    let (mut host_a, a) = serve(&lan, "a", &["--name", "Room A"]);
    let (_host_b, b) = serve(&lan, "b", &["--name", "Room B"]);
    let a_addr = format!("{}:{a}", lan.addr("a"));
    let b_addr = format!("{}:{b}", lan.addr("b"));

    let event = |want: &'static str, address: String, people: Option<u64>| {
        move |l: &str| {
            let v: Value = serde_json::from_str(l).ok()?;
            (v["event"] == want
                && v["host"]["address"] == address.as_str()
                && people.is_none_or(|p| v["host"]["people"] == p))
            .then_some(v)
        }
    };
    let t = Instant::now();
    let mut pending = vec![a_addr.clone(), b_addr.clone()];
    while !pending.is_empty() {
        let v = watch.line("both hosts up", |l| {
            let v: Value = serde_json::from_str(l).ok()?;
            (v["event"] == "up").then_some(v)
        });
        pending.retain(|p| v["host"]["address"] != p.as_str());
    }
    eprintln!("both hosts up after {:?}", t.elapsed());

    // A guest joins B from the viewer's machine: B's record says 1 person within a refresh.
    let mut guest = lanchat(
        &lan,
        "viewer",
        &[
            "join",
            &b_addr,
            "--room",
            "lobby",
            "--nick",
            "sam",
            "--accept-new-host",
        ],
    );
    let known = tempfile::tempdir().unwrap();
    guest
        .stdin(Stdio::piped())
        .env("LANCHAT_KNOWN_HOSTS", known.path().join("known_hosts"));
    let _guest = Proc::spawn(guest);
    let t = Instant::now();
    watch.line("B with 1 person", event("up", b_addr.clone(), Some(1)));
    eprintln!("people count updated after {:?}", t.elapsed());

    let t = Instant::now();
    host_a.terminate();
    let gone = watch.line("A going", |l| {
        let v: Value = serde_json::from_str(l).ok()?;
        (v["host"]["address"] == a_addr.as_str() || v["event"] == "down").then_some(v)
    });
    assert_eq!(gone["event"], "down", "{gone}");
    assert_eq!(gone["host"]["address"], a_addr, "only A stopped: {gone}");
    eprintln!("A gone {:?} after SIGTERM", t.elapsed());
}

/// `LANCHAT_NO_DISCOVERY` stops `lanchat discover` before it sends anything, naming the
/// variable (no network needed, so this runs everywhere).
#[test]
fn discover_says_when_discovery_is_off() {
    let out = Command::new(BIN)
        .args(["discover", "--timeout", "0"])
        .env("LANCHAT_NO_DISCOVERY", "1")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("LANCHAT_NO_DISCOVERY"), "{err}");
}

/// A host on loopback says it is not announced (the LAN cannot reach it), and starts no mDNS at
/// all (no network needed, so this runs everywhere).
#[test]
fn a_loopback_host_is_not_announced() {
    let mut child = Command::new(BIN)
        .args(["serve", "--memory", "--port", "0", "--bind", "127.0.0.1"])
        .env_remove("LANCHAT_NO_DISCOVERY")
        .env_remove("LANCHAT_NO_ANNOUNCE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let out = BufReader::new(child.stdout.take().unwrap());
    let said = out
        .lines()
        .map_while(Result::ok)
        .find(|l| l.contains("announced"))
        .unwrap_or_default();
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(
        said,
        "not announced on the LAN (listening on loopback only)"
    );
}
