//! Writes a big generated history into a lanchat data directory, for the search and scrollback
//! benchmark (bench/search.py): `--messages` chat messages in room `big` and a tenth as many
//! spread over 20 other rooms, through `Store::append` in batches like the hub's (so the search
//! index is built as a live host builds it). Words follow a Zipf distribution over a 20,000-word
//! vocabulary (a few hundred common English words first, then made-up ones), 1 to 40 words a
//! message. Then the index is dropped and the store opened again, to time the migration an
//! existing database goes through. Prints a JSON report, with queries to search for, on stdout.
//!
//!     cargo run --release --no-default-features --example gen_history -- DIR [--messages N]

use std::time::Instant;

use lanchat::protocol::{Kind, Message};
use lanchat::store::Store;

const COMMON: &str = "the to and a i you it is of that in we for this on be have not are with \
    just do so but at can was if what my me get all no like your will about one up out now know \
    think they go there time from how good or when an as yes ok should need see then would more \
    work here today make back some did want new him them could meeting tomorrow people thanks \
    right well also let us she her his been after only because same day way still look lunch \
    team going build test release server please file room great sure fine maybe later call \
    morning afternoon night week next last first done issue bug fix deploy update change code \
    review merge branch check problem question answer idea plan project report data table \
    number time price meeting coffee office home train late early soon long short happy sorry \
    hello thank welcome bye cool nice awesome really very much many few little big small";

const SYLLABLES: [&str; 24] = [
    "ka", "lo", "mi", "ren", "tu", "sa", "vo", "dri", "pe", "nor", "ul", "xi", "ban", "te", "qua",
    "zo", "fel", "im", "rho", "sk", "ya", "gen", "op", "wi",
];

/// xorshift64*: reproducible and dependency-free.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn vocabulary(n: usize) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    for w in COMMON.split_whitespace() {
        if !words.iter().any(|x| x == w) {
            words.push(w.to_owned());
        }
    }
    let mut i = 0usize;
    while words.len() < n {
        // Two to four syllables, from the index's digits in base 24.
        let mut k = i + 24 * 25;
        let mut w = String::new();
        while k > 0 {
            w.push_str(SYLLABLES[k % 24]);
            k /= 24;
        }
        if !words.contains(&w) {
            words.push(w);
        }
        i += 1;
    }
    words
}

/// Cumulative Zipf weights (s = 1) over ranks 1..=n.
fn zipf_cdf(n: usize) -> Vec<f64> {
    let mut acc = 0.0;
    let mut cdf: Vec<f64> = (1..=n)
        .map(|r| {
            acc += 1.0 / r as f64;
            acc
        })
        .collect();
    for c in &mut cdf {
        *c /= acc;
    }
    cdf
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = std::path::PathBuf::from(args.next().expect("usage: gen_history DIR [--messages N]"));
    let mut total: u64 = 1_000_000;
    while let Some(a) = args.next() {
        if a == "--messages" {
            total = args.next().expect("--messages N").parse()?;
        }
    }
    let words = vocabulary(20_000);
    let cdf = zipf_cdf(words.len());
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let nicks: Vec<String> = (0..50).map(|i| format!("user{i}")).collect();
    let start_ts: i64 = 1_735_689_600_000;
    let others = total / 10;
    let mut seqs = [0u64; 21];

    let store = Store::open_dir(&dir)?;
    let started = Instant::now();
    let mut batch = Vec::with_capacity(1000);
    for i in 0..(total + others) {
        // Every eleventh message goes to one of the other rooms.
        let r = if i % 11 == 10 { 1 + rng.below(20) } else { 0 };
        let room = if r == 0 {
            "big".to_owned()
        } else {
            format!("r{r}")
        };
        seqs[r] += 1;
        let n = 1 + (rng.unit().powi(2) * 40.0) as usize;
        let text: Vec<&str> = (0..n)
            .map(|_| {
                let u = rng.unit();
                &words[cdf.partition_point(|c| *c < u).min(words.len() - 1)][..]
            })
            .collect();
        batch.push(Message {
            id: format!("g{i}"),
            room,
            seq: seqs[r],
            ts: start_ts + i as i64 * 30_000,
            kind: Kind::Chat,
            nick_name: nicks[rng.below(nicks.len())].clone(),
            message: text.join(" "),
            client_id: None,
            history: false,
            file: None,
            ..Default::default()
        });
        if batch.len() == 1000 {
            store.append(&batch)?;
            batch.clear();
        }
    }
    store.append(&batch)?;
    let write_s = started.elapsed().as_secs_f64();
    drop(store);

    // An existing database from before search: no index, built again at open.
    {
        let conn = rusqlite::Connection::open(dir.join("lanchat.db"))?;
        conn.execute_batch("DROP TABLE message_text; DROP TABLE rooms; VACUUM;")?;
    }
    let without_index = std::fs::metadata(dir.join("lanchat.db"))?.len();
    let started = Instant::now();
    let store = Store::open_dir(&dir)?;
    let index_s = started.elapsed().as_secs_f64();
    drop(store);
    {
        let conn = rusqlite::Connection::open(dir.join("lanchat.db"))?;
        conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE); VACUUM;")?;
    }
    let with_index = std::fs::metadata(dir.join("lanchat.db"))?.len();

    // Queries: single words from the head, the middle and the tail of the distribution, prefixes,
    // and pairs.
    let pick = |ranks: std::ops::Range<usize>, step: usize| -> Vec<String> {
        ranks.step_by(step).map(|r| words[r].clone()).collect()
    };
    let common = pick(0..40, 4);
    let middle = pick(300..3000, 270);
    let rare = pick(12_000..19_000, 700);
    let prefixes: Vec<String> = middle.iter().map(|w| w.chars().take(4).collect()).collect();
    let pairs: Vec<String> = common
        .iter()
        .zip(&middle)
        .map(|(a, b)| format!("{a} {b}"))
        .collect();
    let report = serde_json::json!({
        "messages_big": total,
        "messages_other": others,
        "write_s": write_s,
        "index_build_s": index_s,
        "db_mib_without_index": without_index as f64 / (1 << 20) as f64,
        "db_mib_with_index": with_index as f64 / (1 << 20) as f64,
        "queries": { "common": common, "middle": middle, "rare": rare, "prefix": prefixes, "pair": pairs },
    });
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}
