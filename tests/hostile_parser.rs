//! The payload parsers against the fuzz target's invariants, run deterministically on every
//! `cargo test`: the kept fuzz inputs (fuzz/seeds/payloads) and a generated stream of edge-case
//! payloads. No server: this is the validation layer alone (docs/security.md, *Fuzzing*).

use lanchat::protocol::invariants::check_bytes;
use serde_json::{Value, json};

/// Inputs kept from fuzzing (fuzz/seeds/payloads and any crash found) replayed through every
/// parser with the fuzz target's invariants (`lanchat::protocol::invariants`).
#[test]
fn fuzz_seeds_replay_cleanly() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/payloads");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).expect("fuzz/seeds/payloads") {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        check_bytes(&bytes);
        n += 1;
    }
    assert!(n >= 5, "only {n} seeds");
}

/// The fuzz target's invariants over a deterministic stream of generated payloads, so `cargo
/// test` exercises them even where cargo-fuzz cannot run.
#[test]
fn generated_payloads_keep_the_invariants() {
    let atoms = [
        "",
        " ",
        "a",
        "lobby",
        " x ",
        "\t",
        "\n",
        "\r",
        "\0",
        "\u{7f}",
        "\u{85}",
        "\u{9b}",
        "\u{200b}",
        "\u{2800}",
        "\u{301}",
        "\u{3164}",
        "\u{ffa0}",
        "\u{fe0f}",
        "\u{e0041}",
        "\u{202e}",
        "\u{a0}",
        "\u{3000}",
        "\u{2028}",
        "\u{1f600}",
        "e\u{301}",
        "é",
        "\"",
        "\\",
        "<script>",
        "'--",
    ];
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for _ in 0..20_000 {
        let mut text = String::new();
        let parts = next() % 6;
        for _ in 0..parts {
            let atom = atoms[(next() % atoms.len() as u64) as usize];
            let times = [1, 1, 2, 31, 32, 33, 63, 64, 65, 4000, 4001][(next() % 11) as usize];
            if text.len() + atom.len() * times < 20_000 {
                text.push_str(&atom.repeat(times));
            }
        }
        let field = |r: u64| match r % 7 {
            0 => Value::String(text.clone()),
            1 => Value::Null,
            2 => json!(r),
            3 => json!(-1),
            4 => json!(true),
            5 => json!([text.clone()]),
            _ => json!({"x": text.clone()}),
        };
        let mut map = serde_json::Map::new();
        for key in [
            "roomName", "room", "nickName", "message", "clientId", "since", "typing",
        ] {
            if next() % 3 != 0 {
                map.insert(key.into(), field(next()));
            }
        }
        check_bytes(
            serde_json::to_string(&Value::Object(map))
                .unwrap()
                .as_bytes(),
        );
        check_bytes(serde_json::to_string(&text).unwrap().as_bytes());
    }
}
