//! Encryption with a pinned identity (issue #13): what someone on the network can read, what an
//! impostor gets, and when a client trusts a host — first use, remembered, changed, from an
//! invite link or a discovery record — and what plain-HTTP guests may do.

mod common;

use std::process::{Command, Stdio};
use std::sync::Arc;

use common::WAIT;
use common::chat::{User, fast};
use common::proxy::{ImpostorHost, RecordingProxy, contains};
use lanchat::client::{Client, ClientConfig, ClientError, KnownHosts, PinError, Trust};
use lanchat::server::Config;
use lanchat::store::Store;
use lanchat::tls::{Fingerprint, Identity};
use serde_json::json;
use tokio::sync::mpsc;

const PASSWORD: &str = "correct-horse-battery-staple";
const NICK: &str = "zebediah";
const TEXT: &str = "the eagle lands at dawn by the old mill";
const FILE_BODY: &str = "quarterly-numbers-nobody-else-may-see";

/// A config whose trust is `known` (a file or memory) and nothing else.
fn pinned(address: &str, nick: &str, known: Arc<KnownHosts>, accept_new: bool) -> ClientConfig {
    let mut cfg = fast(address, nick);
    cfg.trust = Trust {
        fingerprint: None,
        accept_new_host: accept_new,
        known_hosts: known,
        plain: false,
    };
    cfg
}

async fn connect(cfg: ClientConfig) -> Result<Client, ClientError> {
    let (tx, _rx) = mpsc::unbounded_channel();
    Client::connect(cfg, tx).await
}

/// Someone recording everything between the app and the host — a join with the password,
/// messages, a file — finds none of the password, the nickname, the text or the file in it.
#[tokio::test(flavor = "multi_thread")]
async fn a_passive_observer_reads_nothing() {
    let (s, dir) = common::files::start_files_with(Config {
        password: Some(PASSWORD.into()),
        ..common::test_config()
    })
    .await;
    let spy = RecordingProxy::start(s.addr).await;
    let mut cfg = fast(&spy.addr.to_string(), NICK);
    cfg.password = Some(PASSWORD.into());
    let mut u = User::connect(cfg).await;
    u.client.join("ops").await.unwrap();
    let sent = u.client.send("ops", TEXT, None).unwrap();
    tokio::time::timeout(WAIT, sent)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let src = dir.path().join("numbers.txt");
    std::fs::write(&src, FILE_BODY.repeat(100)).unwrap();
    u.client
        .upload_file("ops", &src, Arc::new(|_, _| {}))
        .await
        .unwrap();
    u.until(WAIT, |u| u.shown.iter().any(|m| m.file.is_some()))
        .await;

    let capture = spy.capture();
    assert!(capture.len() > 4000, "the session went through the proxy");
    for secret in [PASSWORD, NICK, TEXT, FILE_BODY, "numbers.txt", "joinRoom"] {
        assert!(
            !contains(&capture, secret),
            "{secret:?} crossed in the clear"
        );
    }
    u.client.disconnect().await;
    s.stop().await.unwrap();
}

/// A browser on `https://` (certificate warning clicked through) is just as unreadable.
#[tokio::test(flavor = "multi_thread")]
async fn an_https_guest_is_unreadable_too() {
    let s = common::start(
        Config {
            password: Some(PASSWORD.into()),
            ..common::test_config()
        },
        Store::memory().unwrap(),
    )
    .await;
    let spy = RecordingProxy::start(s.addr).await;
    let guest = common::Peer::connect_https(spy.addr, json!({ "password": PASSWORD }))
        .await
        .expect("an https guest connects");
    let ack = guest.join("ops", NICK).await;
    assert_eq!(ack["ok"], true, "{ack}");
    assert!(ack.get("unencrypted").is_none(), "{ack}");
    assert_eq!(guest.send("ops", TEXT).await["ok"], true);
    let capture = spy.capture();
    for secret in [PASSWORD, NICK, TEXT] {
        assert!(
            !contains(&capture, secret),
            "{secret:?} crossed in the clear"
        );
    }
    guest.close().await;
    s.stop().await.unwrap();
}

/// An impostor with its own certificate, where the host was known (or given by fingerprint),
/// is refused in the handshake with a warning naming both fingerprints; it receives no
/// application byte, not the password.
#[tokio::test(flavor = "multi_thread")]
async fn an_impostor_is_refused_and_gets_nothing() {
    let s = common::start_default().await;
    let real = s.control.fingerprint();
    let evil = ImpostorHost::start().await;
    let at = evil.addr.to_string();
    let known = Arc::new(KnownHosts::in_memory());
    known.remember(&at, real).unwrap();
    let mut cfg = pinned(&at, NICK, known, true);
    cfg.password = Some(PASSWORD.into());
    let err = connect(cfg).await.err().expect("refused");
    match &err {
        ClientError::Host(PinError::Changed { old, new, .. }) => {
            assert_eq!((*old, *new), (real, evil.identity.fingerprint()));
        }
        other => panic!("expected a changed host, got {other:?}"),
    }
    assert_eq!(err.code(), "host_changed");
    let text = err.to_string();
    assert!(
        text.contains(&real.to_string()) && text.contains(&evil.identity.fingerprint().to_string()),
        "{text}"
    );

    // `lanchat join --fingerprint` against it: refused, the same warning, nothing sent.
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_lanchat"))
        .args(["join", &at, "--room", "r", "--nick", NICK])
        .args(["--fingerprint", &real.hex(), "--password", PASSWORD])
        .env("LANCHAT_KNOWN_HOSTS", dir.path().join("known_hosts"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&real.to_string())
            && stderr.contains(&evil.identity.fingerprint().to_string()),
        "{stderr}"
    );
    assert!(
        evil.plaintext().is_empty(),
        "the impostor got application data"
    );
    assert!(!contains(&evil.raw(), PASSWORD));
    s.stop().await.unwrap();
}

/// First use is trusted and remembered in known_hosts; the next connection is accepted
/// silently; a host at the same address with another certificate is refused, naming the old
/// and the new fingerprint, and the remembered one stays.
#[tokio::test(flavor = "multi_thread")]
async fn first_use_remembered_then_a_change_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("known_hosts");
    let first = Identity::generate().unwrap();
    let s = common::start(
        Config {
            identity: Some(first.clone()),
            ..common::test_config()
        },
        Store::memory().unwrap(),
    )
    .await;
    let addr = s.addr;
    let known = Arc::new(KnownHosts::file(&file));
    let c = connect(pinned(&addr.to_string(), "ann", known.clone(), true))
        .await
        .expect("first use is trusted");
    c.disconnect().await;
    assert!(
        std::fs::read_to_string(&file)
            .unwrap()
            .contains(&first.fingerprint().hex()),
        "remembered in the file"
    );
    // Another process, no first-use allowed: it is known now.
    let c = connect(pinned(
        &addr.to_string(),
        "ann",
        Arc::new(KnownHosts::file(&file)),
        false,
    ))
    .await
    .expect("a known host is accepted silently");
    c.disconnect().await;
    s.stop().await.unwrap();

    // The same address, another certificate.
    let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
    let second = Identity::generate().unwrap();
    let s2 = lanchat::server::serve(
        listener,
        Config {
            identity: Some(second.clone()),
            ..common::test_config()
        },
        Store::memory().unwrap(),
    )
    .await
    .unwrap();
    let err = connect(pinned(
        &addr.to_string(),
        "ann",
        Arc::new(KnownHosts::file(&file)),
        true,
    ))
    .await
    .err()
    .expect("a changed host is refused");
    assert_eq!(
        err,
        ClientError::Host(PinError::Changed {
            host: addr.to_string(),
            old: first.fingerprint(),
            new: second.fingerprint(),
        })
    );
    assert_eq!(
        KnownHosts::file(&file).get(&addr.to_string()),
        Some(first.fingerprint()),
        "a refused change does not replace the remembered host"
    );
    s2.stop().await.unwrap();
}

/// An invite link's `fp=` is trusted on first use without asking; a wrong one is refused.
#[tokio::test(flavor = "multi_thread")]
async fn an_invite_fingerprint_is_pinned() {
    let s = common::start_default().await;
    let fp = s.control.fingerprint();
    let known = Arc::new(KnownHosts::in_memory());
    let link = format!("http://{}/?room=r&fp={}", s.addr, fp.hex());
    let c = connect(pinned(&link, "ann", known.clone(), false))
        .await
        .expect("the invite's fingerprint is the host's");
    assert_eq!(known.get(&s.addr.to_string()), Some(fp));
    assert_eq!(c.base_url(), format!("https://{}", s.addr));
    c.disconnect().await;

    let wrong = Fingerprint::of(b"someone else");
    let link = format!("https://{}/?room=r&fp={}", s.addr, wrong.hex());
    let err = connect(pinned(
        &link,
        "ann",
        Arc::new(KnownHosts::in_memory()),
        true,
    ))
    .await
    .err()
    .expect("a wrong fingerprint is refused");
    assert!(
        matches!(&err, ClientError::Host(PinError::Mismatch { expected, seen, .. }) if *expected == wrong && *seen == fp),
        "{err:?}"
    );
    // A malformed fingerprint is a bad address, not a silent first use.
    let bad = format!("http://{}/?fp=1234", s.addr);
    assert_eq!(
        connect(pinned(&bad, "ann", known, true))
            .await
            .err()
            .unwrap()
            .code(),
        "bad_address"
    );
    s.stop().await.unwrap();
}

/// A discovery record's `fp` travels to the client: joining a found host pins it (a record
/// with another host's fingerprint is refused), with no first use involved.
#[tokio::test(flavor = "multi_thread")]
async fn a_discovery_record_fingerprint_is_pinned() {
    use lanchat::discovery::{FoundHost, Record};
    let s = common::start_default().await;
    let found = |record: &Record| FoundHost {
        id: "lanchat-x._lanchat._tcp.local.".into(),
        name: record.name.clone(),
        address: s.addr.to_string(),
        addresses: vec!["127.0.0.1".into()],
        port: s.addr.port(),
        version: record.version.clone(),
        password_required: false,
        people: 0,
        fingerprint: record.fingerprint.clone(),
    };
    // What the host announces, as a browser on the LAN reads it back.
    let announced = Record {
        name: "Room".into(),
        version: "0".into(),
        password_required: false,
        people: 0,
        fingerprint: Some(s.control.fingerprint().hex()),
    };
    let heard = |r: &Record| {
        Record::from_txt(
            &r.to_txt()
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
        )
    };
    let host = found(&heard(&announced));
    let address = lanchat::cli::join_address(&host);
    let c = connect(pinned(
        &address,
        "ann",
        Arc::new(KnownHosts::in_memory()),
        false,
    ))
    .await
    .expect("the record's fingerprint is the host's");
    c.disconnect().await;

    let forged = Record {
        fingerprint: Some(Fingerprint::of(b"forged").hex()),
        ..announced
    };
    let address = lanchat::cli::join_address(&found(&heard(&forged)));
    let err = connect(pinned(
        &address,
        "ann",
        Arc::new(KnownHosts::in_memory()),
        true,
    ))
    .await
    .err()
    .unwrap();
    assert_eq!(err.code(), "host_changed");
    s.stop().await.unwrap();
}

/// `lanchat join` on a new host with no terminal to ask on refuses, showing the fingerprint
/// and the flags that trust it; `--accept-new-host` trusts it.
#[tokio::test(flavor = "multi_thread")]
async fn join_asks_before_trusting_a_new_host() {
    let s = common::start_default().await;
    let dir = tempfile::tempdir().unwrap();
    let run = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_lanchat"))
            .args(["join", &s.addr.to_string(), "--room", "r", "--nick", "t"])
            .args(extra)
            .env("LANCHAT_KNOWN_HOSTS", dir.path().join("known_hosts"))
            .env_remove("LANCHAT_PASSWORD")
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    let out = run(&[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains(&s.control.fingerprint().to_string())
            && stderr.contains("--accept-new-host"),
        "{stderr}"
    );
    let out = run(&["--accept-new-host"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Remembered: no flag needed any more.
    let out = run(&[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    s.stop().await.unwrap();
}

/// Without a password, a browser on plain http:// may chat, and the room — the host's own
/// window included — sees it flagged as unencrypted.
#[tokio::test(flavor = "multi_thread")]
async fn plain_guests_are_allowed_without_a_password_and_flagged() {
    let s = common::start_default().await;
    assert!(s.control.plain_guests_allowed());
    let mut app = User::join(&s.addr.to_string(), "host", "lobby").await;
    let guest = common::Peer::connect(&common::url(&s)).await;
    let ack = guest.join("lobby", "plainguest").await;
    assert_eq!(ack["unencrypted"], json!(["plainguest"]), "{ack}");
    app.until(WAIT, |u| {
        u.members
            .get("lobby")
            .is_some_and(|m| m.contains(&"plainguest".to_owned()))
    })
    .await;
    assert_eq!(
        app.unencrypted.get("lobby").cloned().unwrap_or_default(),
        vec!["plainguest".to_owned()]
    );
    // The app's own (TLS) membership is not flagged.
    let late = common::Peer::connect(&common::url(&s)).await;
    let ack = late.join("lobby", "late").await;
    assert_eq!(ack["unencrypted"], json!(["late", "plainguest"]), "{ack}");
    common::calm::Calm::join(&s)
        .await
        .check_pair("after a plain guest")
        .await;
    s.stop().await.unwrap();
}

/// With a password, plain guests are refused by default before the password is looked at:
/// the Socket.IO handshake never gets to send it, a page gets the https:// link, and
/// `/api/info` still answers. `plain_guests: Some(true)` lets them in with the password.
#[tokio::test(flavor = "multi_thread")]
async fn plain_guests_are_refused_before_the_password() {
    let s = common::start(
        Config {
            password: Some(PASSWORD.into()),
            ..common::test_config()
        },
        Store::memory().unwrap(),
    )
    .await;
    assert!(!s.control.plain_guests_allowed());
    let spy = RecordingProxy::start(s.addr).await;
    let refused = common::Peer::connect_with(
        &format!("http://{}", spy.addr),
        json!({ "password": PASSWORD }),
    )
    .await;
    assert!(refused.is_err(), "a plain guest got in");
    assert!(
        !contains(&spy.capture(), PASSWORD),
        "the password crossed in plain"
    );

    let http = reqwest::Client::new();
    let page = http
        .get(format!("{}/?room=r", common::url(&s)))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 403);
    let body = page.text().await.unwrap();
    assert!(
        body.contains(&format!("https://{}/?room=r", s.addr)),
        "{body}"
    );
    let sio = http
        .get(format!(
            "{}/socket.io/?EIO=4&transport=polling",
            common::url(&s)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(sio.status(), 403);
    let body: serde_json::Value = sio.json().await.unwrap();
    assert_eq!(body["error"]["code"], "tls_required");
    let info = common::api_info(&s).await;
    assert_eq!(info["fingerprint"], s.control.fingerprint().hex());

    // Over TLS the password works.
    let mut cfg = fast(&s.addr.to_string(), "app");
    cfg.password = Some(PASSWORD.into());
    let app = User::connect(cfg).await;
    app.client.join("r").await.unwrap();

    s.control.set_plain_guests(Some(true));
    let guest = common::Peer::connect_with(&common::url(&s), json!({ "password": PASSWORD }))
        .await
        .expect("plain guests allowed explicitly");
    assert_eq!(guest.join("r", "g").await["ok"], true);
    s.stop().await.unwrap();
}

/// The host's switch for plain guests: turned off (here with no password, where they are
/// allowed by default), a new browser on http:// is refused at the Socket.IO handshake while one
/// already in the room keeps chatting; turned on again, new ones get in.
#[tokio::test(flavor = "multi_thread")]
async fn the_plain_guest_switch_refuses_newcomers_and_keeps_those_connected() {
    let s = common::start_default().await;
    assert!(s.control.plain_guests_allowed());
    let mut app = User::join(&s.addr.to_string(), "host", "lobby").await;
    let early = common::Peer::connect(&common::url(&s)).await;
    early.join("lobby", "early").await;

    s.control.set_plain_guests(Some(false));
    assert!(!s.control.plain_guests_allowed());
    let refused = common::Peer::connect_with(&common::url(&s), json!({})).await;
    assert!(
        refused.is_err(),
        "a new plain guest got in after the switch"
    );
    let sio = reqwest::get(format!(
        "{}/socket.io/?EIO=4&transport=polling",
        common::url(&s)
    ))
    .await
    .unwrap();
    assert_eq!(sio.status(), 403);
    let body: serde_json::Value = sio.json().await.unwrap();
    assert_eq!(body["error"]["code"], "tls_required");
    // The guest who was already there stays, and is still heard.
    let ack = early.send("lobby", "still here after the switch").await;
    assert_eq!(ack["ok"], true, "{ack}");
    app.until_text("still here after the switch").await;

    s.control.set_plain_guests(Some(true));
    assert!(s.control.plain_guests_allowed());
    let late = common::Peer::connect(&common::url(&s)).await;
    let ack = late.join("lobby", "late").await;
    assert_eq!(ack["unencrypted"], json!(["early", "late"]), "{ack}");
    app.client.disconnect().await;
    s.stop().await.unwrap();
}
