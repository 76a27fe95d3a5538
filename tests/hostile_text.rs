//! Hostile names and text: empty, invisible, oversized, control characters, bidi overrides,
//! look-alikes, HTML and SQL in room names, nicknames and messages. Each is refused with its
//! field's code or passed on byte for byte, as docs/security.md records, and the calm pair
//! carries on (`common::calm`).

mod common;

use common::calm::*;
use common::*;
use lanchat::store::Store;
use serde_json::{Value, json};

/// Names and messages that are empty after trimming (spaces, tabs, newlines, NBSP, ideographic
/// space, line separator) are refused with their field's code.
#[tokio::test(flavor = "multi_thread")]
async fn empty_and_whitespace_names_and_messages() {
    let (_s, calm, eve) = server_with_eve().await;
    let join = |room: &str, nick: &str| json!({"roomName": room, "nickName": nick});
    let send = |text: &str| json!({"room": ROOM, "message": text});
    let cases = [
        (
            "room whitespace",
            "joinRoom",
            join("   ", "n"),
            "invalid_room",
        ),
        (
            "room tab newline",
            "joinRoom",
            join("\t\n", "n"),
            "invalid_room",
        ),
        (
            "room ideographic space",
            "joinRoom",
            join("\u{3000}", "n"),
            "invalid_room",
        ),
        ("nick empty", "joinRoom", join("r", ""), "invalid_nick"),
        (
            "nick whitespace",
            "joinRoom",
            join("r", "  "),
            "invalid_nick",
        ),
        ("nick NBSP", "joinRoom", join("r", "\u{a0}"), "invalid_nick"),
        ("message empty", "sendMessage", send(""), "invalid_message"),
        (
            "message whitespace",
            "sendMessage",
            send(" \n\t "),
            "invalid_message",
        ),
        (
            "message line separator",
            "sendMessage",
            send("\u{2028}"),
            "invalid_message",
        ),
        (
            "bare room string blank",
            "joinRoom",
            json!("   "),
            "invalid_room",
        ),
        (
            "clientId empty",
            "sendMessage",
            json!({"room": ROOM, "message": "x", "clientId": ""}),
            "invalid_client_id",
        ),
    ];
    for (case, event, payload, code) in cases {
        refused(&eve, case, event, payload, code).await;
        calm.check_pair(case).await;
    }
    calm.check("empty and whitespace").await;
}

/// Length limits count characters, not bytes: 64-emoji rooms, 32-char nicks and 4000-emoji
/// messages pass; one more is refused. A 30,000-char message (still under the 64 KiB packet
/// limit) is `message_too_long`, not a dropped connection.
#[tokio::test(flavor = "multi_thread")]
async fn oversized_names_and_messages() {
    let (_s, calm, eve) = server_with_eve().await;
    let emoji = |n: usize| "\u{1f600}".repeat(n);
    let join = |room: &str, nick: &str| json!({"roomName": room, "nickName": nick});
    let send = |text: &str| json!({"room": ROOM, "message": text});
    let refusals = [
        (
            "room 65 emoji",
            "joinRoom",
            join(&emoji(65), "n"),
            "invalid_room",
        ),
        (
            "nick 33 emoji",
            "joinRoom",
            join("r", &emoji(33)),
            "invalid_nick",
        ),
        (
            "nick 34 chars with combining marks",
            "joinRoom",
            join("r", &"e\u{301}".repeat(17)),
            "invalid_nick",
        ),
        (
            "message 4001 emoji",
            "sendMessage",
            send(&emoji(4001)),
            "message_too_long",
        ),
        (
            "message 30,000 chars",
            "sendMessage",
            send(&"x".repeat(30_000)),
            "message_too_long",
        ),
        (
            "clientId 65 chars",
            "sendMessage",
            json!({"room": ROOM, "message": "x", "clientId": "c".repeat(65)}),
            "invalid_client_id",
        ),
    ];
    for (case, event, payload, code) in refusals {
        refused(&eve, case, event, payload, code).await;
        calm.check_pair(case).await;
    }
    let p = Peer::connect(&calm.url).await;
    let ack = accepted(
        &p,
        "room 64 emoji",
        "joinRoom",
        join(&emoji(64), &emoji(32)),
    )
    .await;
    assert_eq!(ack["nickName"], emoji(32));
    let ack = accepted(
        &eve,
        "message 4000 emoji",
        "sendMessage",
        send(&emoji(4000)),
    )
    .await;
    let m = calm.b.wait_for("message", |v| v["seq"] == ack["seq"]).await;
    assert_eq!(m["message"], emoji(4000));
    accepted(
        &eve,
        "clientId 64 chars",
        "sendMessage",
        json!({"room": ROOM, "message": "x", "clientId": "c".repeat(64)}),
    )
    .await;
    calm.check("oversized").await;
}

/// Control characters are refused in names (all of them) and messages (all but newline and
/// tab): C0, DEL, C1 and terminal escape sequences.
#[tokio::test(flavor = "multi_thread")]
async fn control_characters_are_refused() {
    let (_s, calm, eve) = server_with_eve().await;
    let join = |room: &str, nick: &str| json!({"roomName": room, "nickName": nick});
    let send = |text: &str| json!({"room": ROOM, "message": text});
    let cases = [
        ("nick NUL", "joinRoom", join("r", "a\0b"), "invalid_nick"),
        (
            "nick newline",
            "joinRoom",
            join("r", "a\nb"),
            "invalid_nick",
        ),
        (
            "nick DEL",
            "joinRoom",
            join("r", "a\u{7f}b"),
            "invalid_nick",
        ),
        (
            "nick C1 NEL",
            "joinRoom",
            join("r", "a\u{85}b"),
            "invalid_nick",
        ),
        (
            "nick C1 CSI",
            "joinRoom",
            join("r", "a\u{9b}2J"),
            "invalid_nick",
        ),
        (
            "nick ANSI clear screen",
            "joinRoom",
            join("r", "\u{1b}[2J"),
            "invalid_nick",
        ),
        (
            "room carriage return",
            "joinRoom",
            join("a\rb", "n"),
            "invalid_room",
        ),
        (
            "room tab inside",
            "joinRoom",
            join("tab\there", "n"),
            "invalid_room",
        ),
        (
            "message NUL",
            "sendMessage",
            send("a\0b"),
            "invalid_message",
        ),
        (
            "message carriage return",
            "sendMessage",
            send("a\rb"),
            "invalid_message",
        ),
        (
            "message ANSI colour",
            "sendMessage",
            send("\u{1b}[31mred"),
            "invalid_message",
        ),
        (
            "message DEL",
            "sendMessage",
            send("a\u{7f}"),
            "invalid_message",
        ),
        (
            "message C1 CSI",
            "sendMessage",
            send("a\u{9b}31m"),
            "invalid_message",
        ),
        (
            "message bell",
            "sendMessage",
            send("ding\u{7}"),
            "invalid_message",
        ),
        (
            "clientId newline",
            "sendMessage",
            json!({"room": ROOM, "message": "x", "clientId": "a\nb"}),
            "invalid_client_id",
        ),
    ];
    for (case, event, payload, code) in cases {
        refused(&eve, case, event, payload, code).await;
        calm.check_pair(case).await;
    }
    let ack = accepted(&eve, "newline and tab", "sendMessage", send("a\tb\nc")).await;
    let m = calm.b.wait_for("message", |v| v["seq"] == ack["seq"]).await;
    assert_eq!(m["message"], "a\tb\nc");
    calm.check("control characters").await;
}

/// Bidi overrides (U+202E) and isolates are not control characters: the server accepts them in
/// names and messages and passes them on byte for byte. Making them harmless on screen is the
/// UI's job (it isolates user text); docs/security.md records the decision.
#[tokio::test(flavor = "multi_thread")]
async fn bidi_overrides_are_kept_verbatim() {
    let s = start_default().await;
    let calm = Calm::join(&s).await;
    let eve = Peer::connect(&url(&s)).await;
    let nick = "\u{202e}nimda"; // displays as "admin"
    let text = "invoice\u{202e}fdp.exe \u{2066}isolated\u{2069}";
    let ack = accepted(
        &eve,
        "bidi nickname",
        "joinRoom",
        json!({"roomName": ROOM, "nickName": nick}),
    )
    .await;
    assert_eq!(ack["nickName"], nick);
    let ack = accepted(
        &eve,
        "bidi message",
        "sendMessage",
        json!({"room": ROOM, "message": text}),
    )
    .await;
    let m = calm.b.wait_for("message", |v| v["seq"] == ack["seq"]).await;
    assert_eq!(
        (m["nickName"].as_str(), m["message"].as_str()),
        (Some(nick), Some(text))
    );
    let room = "\u{202e}moor";
    accepted(
        &eve,
        "bidi room",
        "joinRoom",
        json!({"roomName": room, "nickName": "x"}),
    )
    .await;
    // A newcomer's history has the same bytes.
    let late = Peer::connect(&url(&s)).await;
    late.join(ROOM, "late").await;
    let h = late.wait_for("message", |v| v["seq"] == ack["seq"]).await;
    assert_eq!(
        (h["nickName"].as_str(), h["message"].as_str()),
        (Some(nick), Some(text))
    );
    calm.check("bidi overrides").await;
}

/// Invisible characters make look-alike nicknames: `ann` + U+200B is a different nickname from
/// `ann`, accepted next to her. Nicknames are not identities (docs/security.md).
#[tokio::test(flavor = "multi_thread")]
async fn lookalike_nicknames_are_distinct() {
    let s = start_default().await;
    let calm = Calm::join(&s).await;
    let eve = Peer::connect(&url(&s)).await;
    let ack = accepted(
        &eve,
        "calm-a plus zero-width space",
        "joinRoom",
        json!({"roomName": ROOM, "nickName": "calm-a\u{200b}"}),
    )
    .await;
    assert_eq!(ack["nickName"], "calm-a\u{200b}");
    calm.check("look-alike nickname").await;
}

/// A nickname of only zero-width characters shows as nothing: it should be refused like an
/// empty one.
#[tokio::test(flavor = "multi_thread")]
async fn zero_width_only_nickname_is_refused() {
    let (_s, calm, eve) = server_with_eve().await;
    for (case, nick) in [
        ("zero-width space", "\u{200b}"),
        ("zero-width mix", "\u{200b}\u{200c}\u{200d}\u{2060}\u{feff}"),
    ] {
        refused(
            &eve,
            case,
            "joinRoom",
            json!({"roomName": "zw", "nickName": nick}),
            "invalid_nick",
        )
        .await;
        calm.check_pair(case).await;
    }
    calm.check("zero-width nickname").await;
}

/// Names and messages that render as nothing (braille blank, lone combining marks, Hangul
/// fillers, tag and other format characters) are refused like empty ones, so nobody joins as
/// a blank and no blank line is stored; a visible name with such characters in it still joins.
#[tokio::test(flavor = "multi_thread")]
async fn invisible_names_and_messages_are_refused() {
    let (_s, calm, eve) = server_with_eve().await;
    let join = |room: &str, nick: &str| json!({"roomName": room, "nickName": nick});
    let send = |text: &str| json!({"room": ROOM, "message": text});
    let cases = [
        (
            "nick braille blank",
            "joinRoom",
            join("r", "\u{2800}"),
            "invalid_nick",
        ),
        (
            "nick lone combining mark",
            "joinRoom",
            join("r", "\u{301}"),
            "invalid_nick",
        ),
        (
            "nick Hangul filler",
            "joinRoom",
            join("r", "\u{3164}"),
            "invalid_nick",
        ),
        (
            "nick halfwidth Hangul filler",
            "joinRoom",
            join("r", "\u{ffa0}"),
            "invalid_nick",
        ),
        (
            "nick tag characters",
            "joinRoom",
            join("r", "\u{e0041}\u{e007f}"),
            "invalid_nick",
        ),
        (
            "nick variation selectors",
            "joinRoom",
            join("r", "\u{fe0f}\u{fe0f}"),
            "invalid_nick",
        ),
        (
            "room braille blank",
            "joinRoom",
            join("\u{2800}\u{2800}", "n"),
            "invalid_room",
        ),
        (
            "room combining marks",
            "joinRoom",
            join("\u{301}\u{302}", "n"),
            "invalid_room",
        ),
        (
            "bare room string filler",
            "joinRoom",
            json!("\u{3164}"),
            "invalid_room",
        ),
        (
            "message zero-width space",
            "sendMessage",
            send("\u{200b}"),
            "invalid_message",
        ),
        (
            "message zero-width mix",
            "sendMessage",
            send("\u{200b}\u{2060}\n\u{feff}"),
            "invalid_message",
        ),
        (
            "message braille blank",
            "sendMessage",
            send("\u{2800}"),
            "invalid_message",
        ),
        (
            "message Hangul filler",
            "sendMessage",
            send("\u{3164}\u{3164}"),
            "invalid_message",
        ),
        (
            "message lone combining mark",
            "sendMessage",
            send("\u{301}"),
            "invalid_message",
        ),
    ];
    for (case, event, payload, code) in cases {
        refused(&eve, case, event, payload, code).await;
        calm.check_pair(case).await;
    }
    let p = Peer::connect(&calm.url).await;
    let ack = accepted(
        &p,
        "visible name with a mark and a filler",
        "joinRoom",
        join(ROOM, "\u{3164}e\u{301}"),
    )
    .await;
    assert_eq!(ack["nickName"], "\u{3164}e\u{301}");
    let ack = accepted(
        &p,
        "visible message with a zero-width space",
        "sendMessage",
        send("a\u{200b}"),
    )
    .await;
    let m = calm.b.wait_for("message", |v| v["seq"] == ack["seq"]).await;
    assert_eq!(m["message"], "a\u{200b}");
    calm.check("invisible names and messages").await;
}

/// HTML and script are text: stored and echoed byte for byte in messages, nicknames and room
/// names, never escaped or altered by the server (rendering safely is the UI's job).
#[tokio::test(flavor = "multi_thread")]
async fn html_and_script_are_echoed_byte_for_byte() {
    let s = start_default().await;
    let calm = Calm::join(&s).await;
    let eve = Peer::connect(&url(&s)).await;
    let nick = "<b>eve</b>";
    eve.join(ROOM, nick).await;
    let texts = [
        "<img src=x onerror=alert(1)>",
        "<script>alert(document.cookie)</script>",
        "\"><svg/onload=alert(1)>",
        "&lt;b&gt; &amp; &#60;script&#62;",
        "javascript:alert(1)",
        "{{constructor.constructor('alert(1)')()}}",
        "<a href=\"javascript:alert(1)\">click</a>\n<iframe src=//evil>",
    ];
    let mut seqs = Vec::new();
    for t in texts {
        let ack = accepted(&eve, t, "sendMessage", json!({"room": ROOM, "message": t})).await;
        let m = calm.b.wait_for("message", |v| v["seq"] == ack["seq"]).await;
        assert_eq!(
            (m["message"].as_str(), m["nickName"].as_str()),
            (Some(t), Some(nick)),
            "[{t}]"
        );
        seqs.push(ack["seq"].clone());
    }
    let late = Peer::connect(&url(&s)).await;
    late.join(ROOM, "late").await;
    for (t, seq) in texts.iter().zip(&seqs) {
        let h = late.wait_for("message", |v| &v["seq"] == seq).await;
        assert_eq!(h["message"].as_str(), Some(*t), "history of [{t}]");
    }
    let room = "<script>alert(1)</script>";
    eve.join(room, nick).await;
    let info = api_info(&s).await;
    assert!(
        info["rooms"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["name"] == room),
        "{info}"
    );
    calm.check("HTML and script").await;
}

/// SQL-looking text is stored verbatim (the store uses bound parameters) and history still
/// works — also read back from the database by a restarted server.
#[tokio::test(flavor = "multi_thread")]
async fn sql_injection_text_is_stored_verbatim() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(test_config(), Store::open_dir(dir.path()).unwrap()).await;
    let calm = Calm::join(&s).await;
    let eve = Peer::connect(&url(&s)).await;
    let nick = "x' OR 1=1--";
    let room = "lobby'; DROP TABLE messages;--";
    eve.join(ROOM, nick).await;
    eve.join(room, nick).await;
    let texts = [
        "'); DROP TABLE messages; --",
        "' OR '1'='1",
        "Robert'); DROP TABLE students;--",
        "%' AND 1=1 --",
        "\\'; SELECT * FROM sqlite_master; --",
        "1; ATTACH DATABASE '/tmp/x.db' AS x; --",
    ];
    for t in texts {
        for r in [ROOM, room] {
            accepted(&eve, t, "sendMessage", json!({"room": r, "message": t})).await;
        }
        calm.b.wait_for("message", text_is(t)).await;
    }
    calm.check("SQL-looking text").await;
    drop(calm);
    eve.close().await;
    s.stop().await.unwrap();

    // A new server on the same data: history comes from SQLite, `since` included.
    let s = start(test_config(), Store::open_dir(dir.path()).unwrap()).await;
    let late = Peer::connect(&url(&s)).await;
    let ack = late
        .request(
            "joinRoom",
            json!({"roomName": room, "nickName": "late", "since": 0}),
        )
        .await;
    assert_eq!(ack["ok"], true, "{ack}");
    let got: Vec<Value> = late
        .messages_until(|v| v["kind"] == "join" && v["nickName"] == "late")
        .await;
    let chats: Vec<&str> = got
        .iter()
        .filter(|m| m["kind"] == "chat")
        .map(|m| m["message"].as_str().unwrap())
        .collect();
    assert_eq!(chats, texts);
    assert!(
        got.iter()
            .filter(|m| m["kind"] == "chat")
            .all(|m| m["nickName"] == nick)
    );
    let seqs: Vec<u64> = got.iter().map(|m| m["seq"].as_u64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "{seqs:?}");
    let calm = Calm::join(&s).await;
    calm.check("SQL-looking text after a restart").await;
}
