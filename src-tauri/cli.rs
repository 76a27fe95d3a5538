//! The command line: `lanchat` (window), `lanchat serve` (headless host), `lanchat join`
//! (terminal client), `lanchat discover` (hosts on the LAN). Parsing is clap; each subcommand
//! is a small async function.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::builder::FalseyValueParser;
use clap::{Args, Parser, Subcommand};
use tokio::io::AsyncBufReadExt;
use tokio::sync::mpsc;

use crate::client::{Client, ClientConfig, ClientError, ClientEvent, ConnState};
use crate::protocol::{Kind, Limits, Message};
use crate::server::{self, Config};
use crate::store::Store;

#[derive(Parser, Debug)]
#[command(
    name = "lanchat",
    version,
    about = "Group chat for one local network: host a room or join one."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Host a room server without a window.
    Serve(ServeArgs),
    /// Chat in a room from the terminal: stdin lines are sent, room messages are printed.
    /// `/send PATH` on a line of its own shares a file; `/search WORDS` prints the room's
    /// messages with those words (newest first); `/edit`, `/delete`, `/react` and `/reply`
    /// act on a message.
    Join(JoinArgs),
    /// List the lanchat hosts on this network (found with mDNS).
    Discover(DiscoverArgs),
    /// Download a file link from a room (resumes a partial download).
    Download(DownloadArgs),
}

#[derive(Args, Debug)]
pub struct DownloadArgs {
    /// The file's link, as `lanchat join` prints it (https://HOST:PORT/files/…).
    pub url: String,
    /// Where to save it [default: the file's name, in the current directory].
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub trust: TrustArgs,
}

/// Which host certificate `join` and `download` accept (docs/security.md, "Encryption").
#[derive(Args, Debug, Default)]
pub struct TrustArgs {
    /// The host's certificate fingerprint (as its window or `lanchat serve` shows it; spaces
    /// and colons are fine). Refuses any other.
    #[arg(long, value_name = "FP")]
    pub fingerprint: Option<crate::tls::Fingerprint>,
    /// Trust a host never seen before without asking (and remember it). Without it, a new host
    /// is asked about on a terminal, and refused otherwise.
    #[arg(long)]
    pub accept_new_host: bool,
    /// The file of trusted hosts [default: known_hosts in the user's data dir].
    #[arg(long, value_name = "PATH", env = "LANCHAT_KNOWN_HOSTS")]
    pub known_hosts: Option<PathBuf>,
    /// No encryption at all, for a tutorial-style server that cannot speak TLS: the password
    /// and every message cross the network readable.
    #[arg(long)]
    pub insecure_plain: bool,
}

impl TrustArgs {
    pub fn trust(&self) -> anyhow::Result<crate::client::Trust> {
        let path = match &self.known_hosts {
            Some(p) => p.clone(),
            None => default_data_dir()?.join(crate::tls::known_hosts::FILE),
        };
        Ok(crate::client::Trust {
            fingerprint: self.fingerprint,
            accept_new_host: self.accept_new_host,
            known_hosts: std::sync::Arc::new(crate::tls::KnownHosts::file(path)),
            plain: self.insecure_plain,
        })
    }
}

/// `on` or `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OnOff {
    On,
    Off,
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on (0.0.0.0 = reachable from the LAN; 127.0.0.1 = this computer only).
    #[arg(long, default_value = "0.0.0.0")]
    pub bind: IpAddr,
    /// Port to listen on; 0 picks a free one.
    #[arg(long, default_value_t = crate::client::DEFAULT_PORT)]
    pub port: u16,
    /// Directory for the history database [default: the user's data dir, e.g. ~/.local/share/lanchat].
    #[arg(long, conflicts_with = "memory")]
    pub data: Option<PathBuf>,
    /// Keep history in memory only (lost when the server stops).
    #[arg(long)]
    pub memory: bool,
    /// Password clients must give to connect.
    #[arg(long, env = "LANCHAT_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
    /// Let browsers use plain http:// (unencrypted; they see a "not encrypted" notice and the
    /// room sees them flagged) [default: on without a password, off with one].
    #[arg(long, value_name = "on|off")]
    pub plain_guests: Option<OnOff>,
    /// Server name shown to clients [default: the hostname].
    #[arg(long)]
    pub name: Option<String>,
    /// Longest message, in characters.
    #[arg(long, default_value_t = crate::protocol::Limits::default().max_message_chars)]
    pub max_message_chars: usize,
    /// Messages replayed to someone joining a room.
    #[arg(long, default_value_t = 100)]
    pub history: usize,
    /// Most simultaneous connections.
    #[arg(long, default_value_t = 20_000)]
    pub max_connections: usize,
    /// Output queued for one connection, in MiB, before it is dropped as not reading (its
    /// client reconnects and catches up). The host holds at most connections × this for them.
    #[arg(long, value_name = "MIB", default_value_t = 16,
          value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub send_budget_mib: u64,
    /// Also let pages from this origin use the server (repeatable; `*` for any). By default only
    /// the host's own pages may (docs/security.md).
    #[arg(long = "allow-origin", value_name = "ORIGIN")]
    pub allow_origins: Vec<String>,
    /// Also answer to this host name (repeatable). IP addresses, `localhost` and this computer's
    /// name always work.
    #[arg(long = "allow-host", value_name = "NAME")]
    pub allow_hosts: Vec<String>,
    /// Do not announce this server on the LAN (mDNS). A server bound to loopback never is.
    #[arg(long, env = crate::discovery::ENV_NO_ANNOUNCE, value_parser = FalseyValueParser::new())]
    pub no_announce: bool,
    /// Do not accept files (uploads are refused with `files_disabled`).
    #[arg(long)]
    pub no_files: bool,
    /// Largest file accepted (bytes, or with a unit: 500MB, 2GiB).
    #[arg(long, value_name = "SIZE", value_parser = parse_size, default_value = "2GiB")]
    pub max_file_size: u64,
    /// Most space files may take in the data directory (stored files, previews and unfinished
    /// uploads).
    #[arg(long, value_name = "SIZE", value_parser = parse_size, default_value = "20GiB")]
    pub files_quota: u64,
    /// Cluster mode: share every room with the other nodes using this Redis (or Valkey), e.g.
    /// redis://10.0.0.5:6379. The room log lives there; this node keeps a replica. Files stay
    /// off in cluster mode.
    #[arg(long, value_name = "REDIS_URL", env = "LANCHAT_CLUSTER")]
    pub cluster: Option<String>,
    /// Cluster mode: the address clients reach this node at, listed for them to fail over to
    /// [default: http://<LAN address>:<port>].
    #[arg(
        long,
        value_name = "URL",
        env = "LANCHAT_ADVERTISE",
        requires = "cluster"
    )]
    pub advertise: Option<String>,
}

#[derive(Args, Debug)]
pub struct DiscoverArgs {
    /// How long to look, in seconds.
    #[arg(long, default_value_t = 3.0, value_parser = parse_seconds)]
    pub timeout: f64,
    /// Print JSON: an array of hosts (with --watch, one JSON object per line).
    #[arg(long)]
    pub json: bool,
    /// Keep looking until interrupted, printing each host as it appears, changes or goes.
    #[arg(long, conflicts_with = "timeout")]
    pub watch: bool,
}

fn parse_seconds(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && (0.0..=3600.0).contains(&v) => Ok(v),
        _ => Err("a number of seconds from 0 to 3600".into()),
    }
}

/// `1234`, `500MB`, `1.5 GB`, `2GiB` → bytes (KB/MB/GB/TB are powers of 1000, KiB/MiB/GiB/TiB
/// of 1024).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = (s[..split].trim(), s[split..].trim());
    let n: f64 = num.parse().map_err(|_| format!("{s:?} is not a size"))?;
    let mult: f64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" => 1e3,
        "m" | "mb" => 1e6,
        "g" | "gb" => 1e9,
        "t" | "tb" => 1e12,
        "kib" => 1024.0,
        "mib" => 1024.0 * 1024.0,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        "tib" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        other => {
            return Err(format!(
                "unknown unit {other:?} (use B, KB, MB, GB, KiB, MiB, GiB)"
            ));
        }
    };
    Ok((n * mult).round() as u64)
}

#[derive(Args, Debug)]
pub struct JoinArgs {
    /// The server: HOST:PORT or an invite link (http://HOST:PORT/?room=R).
    pub address: String,
    /// Room to join (taken from the invite link if omitted).
    #[arg(long)]
    pub room: Option<String>,
    /// Your nickname.
    #[arg(long)]
    pub nick: Option<String>,
    /// The server's password, if it has one.
    #[arg(long, env = "LANCHAT_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
    /// Directory holding your user key (`user.key`: who you are across runs, so you can edit
    /// and delete your messages later) [default: the user's data dir].
    #[arg(long)]
    pub data: Option<PathBuf>,
    #[command(flatten)]
    pub trust: TrustArgs,
}

/// The default history directory (XDG data dir).
pub fn default_data_dir() -> anyhow::Result<PathBuf> {
    directories::ProjectDirs::from("", "", "lanchat")
        .map(|d| d.data_dir().to_path_buf())
        .context("cannot find a data directory for this user; pass --data DIR")
}

/// WebSocket and Socket.IO crates whose debug and trace output prints whole packets — the handshake's `auth`
/// (passwords, session ids) among them. They log at info at most, whatever `RUST_LOG` says.
const PACKET_LOGGERS: [&str; 6] = [
    "tungstenite",
    "socketioxide",
    "socketioxide_parser_common",
    "engineioxide",
    "rust_socketio",
    "rust_engineio",
];

pub fn init_tracing() {
    let mut filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,lanchat=info"));
    for target in PACKET_LOGGERS {
        if let Ok(d) = format!("{target}=info").parse() {
            filter = filter.add_directive(d);
        }
    }
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

pub async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    // The data directory stays ours until this function returns, after the server has stopped.
    // With `--memory`, files go to a temporary directory removed when the server stops.
    let (store, _dir_lock, files_dir, scratch) = if args.memory {
        remove_stale_scratch();
        let tmp = std::env::temp_dir().join(format!(
            "{SCRATCH_PREFIX}{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        ));
        (Store::memory()?, None, tmp.clone(), Some(tmp))
    } else {
        let dir = match &args.data {
            Some(d) => d.clone(),
            None => default_data_dir()?,
        };
        if args.cluster.is_some() {
            // The history is the cluster's log; this node keeps a replica, made anew from the
            // log at each start (after the data directory is ours, so no other node's replica
            // is removed).
            let lock = crate::datadir::lock(&dir)?;
            let replica = dir.join("cluster-replica");
            if replica.exists() {
                std::fs::remove_dir_all(&replica)
                    .with_context(|| format!("cannot clear {}", replica.display()))?;
            }
            std::fs::create_dir_all(&replica)?;
            (
                Store::open_dir(&replica)?,
                Some(lock),
                dir.join("files"),
                None,
            )
        } else {
            let (store, lock) = crate::datadir::open_store(&dir)?;
            (store, Some(lock), dir.join("files"), None)
        }
    };
    // The identity lives beside the history, so it lasts as long as the host does; `--memory`
    // makes one for this run only.
    let identity = if args.memory {
        crate::tls::Identity::generate()?
    } else {
        let dir = match &args.data {
            Some(d) => d.clone(),
            None => default_data_dir()?,
        };
        crate::tls::Identity::load_or_create(&dir)?
    };
    let cluster = args.cluster;
    let mut config = Config {
        password: args.password,
        identity: Some(identity),
        plain_guests: args.plain_guests.map(|o| o == OnOff::On),
        limits: Limits {
            max_message_chars: args.max_message_chars,
            max_file_bytes: args.max_file_size,
        },
        files: crate::server::FilesConfig {
            dir: (!args.no_files).then_some(files_dir),
            quota_bytes: args.files_quota,
            ..crate::server::FilesConfig::default()
        },
        history_on_join: args.history,
        max_connections: args.max_connections,
        send_budget: (args.send_budget_mib as usize) << 20,
        origins: crate::server::OriginPolicy {
            allowed_origins: args.allow_origins,
            allowed_hosts: args.allow_hosts,
        },
        cluster: cluster
            .clone()
            .map(|redis_url| crate::server::ClusterConfig {
                redis_url,
                advertise: args.advertise,
            }),
        ..Config::default()
    };
    crate::server::raise_fd_limit(config.max_connections);
    if let Some(name) = args.name {
        config.name = name;
    }
    let name = config.name.clone();
    let shutdown = shutdown_signal();
    let listener = tokio::net::TcpListener::bind(SocketAddr::new(args.bind, args.port))
        .await
        .with_context(|| format!("cannot listen on {}:{}", args.bind, args.port))?;
    let running = server::serve(listener, config, store).await?;
    let port = running.addr.port();
    for url in listen_urls(args.bind, port) {
        println!("listening on {url}");
    }
    println!(
        "fingerprint {} (TLS and plain HTTP on the same port; people compare this with what \
         their app shows)",
        running.control.fingerprint()
    );
    if running.control.password_required() {
        println!("a password is required to join");
    }
    if let (Some(id), Some(redis)) = (running.control.node_id(), &cluster) {
        println!(
            "cluster node {id} on {}: every node shares the rooms (files are off in cluster mode)",
            crate::server::cluster::redacted(redis)
        );
    }
    if running.control.plain_guests_allowed() {
        println!(
            "browsers may also use plain http:// (not encrypted; --plain-guests off refuses it)"
        );
    } else {
        println!(
            "browsers must use https:// (plain http:// is refused; --plain-guests on allows it)"
        );
    }
    let announcer = if args.no_announce {
        None
    } else {
        crate::host::announce(&running, args.bind, &name)
    };
    match &announcer {
        Some(a) => println!(
            "announced on the LAN as {} (--no-announce turns it off)",
            a.fullname()
        ),
        None if !args.no_announce && args.bind.is_loopback() => {
            println!("not announced on the LAN (listening on loopback only)")
        }
        None => println!("not announced on the LAN"),
    }
    use std::io::Write;
    let _ = std::io::stdout().flush();
    shutdown.await;
    eprintln!("stopping…");
    // Withdrawn first, so browsers drop the host before it stops answering.
    if let Some(a) = announcer {
        a.stop().await;
    }
    running.stop().await?;
    if let Some(tmp) = scratch {
        let _ = std::fs::remove_dir_all(tmp);
    }
    Ok(())
}

/// `lanchat discover`: one look (a table, or `--json`), or `--watch` until interrupted.
pub async fn discover(args: DiscoverArgs) -> anyhow::Result<()> {
    use crate::discovery::{Browser, Change, discover};
    if args.watch {
        let shutdown = shutdown_signal();
        tokio::pin!(shutdown);
        let mut browser = Browser::start()?;
        loop {
            let change = tokio::select! {
                c = browser.next() => c,
                _ = &mut shutdown => return Ok(()),
            };
            let Some(change) = change else {
                bail!("the mDNS browse stopped");
            };
            let (event, host) = match &change {
                Change::Up(h) => ("up", h),
                Change::Down(h) => ("down", h),
            };
            if args.json {
                println!("{}", serde_json::json!({ "event": event, "host": host }));
            } else {
                let sign = if event == "up" { '+' } else { '-' };
                println!("{sign} {}", host_line(host));
            }
        }
    }
    let wait = std::time::Duration::from_secs_f64(args.timeout);
    let hosts = discover(wait).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&hosts)?);
    } else if hosts.is_empty() {
        eprintln!(
            "no lanchat hosts found in {} s. Multicast may be blocked on this network (guest \
             Wi-Fi, client isolation): ask the host for the address or invite link it shows.",
            args.timeout
        );
    } else {
        print!("{}", host_table(&hosts));
        // The fingerprint travels in the address, so the join pins it.
        for h in hosts.iter().filter(|h| h.fingerprint.is_some()) {
            println!("join {}: lanchat join '{}'", h.name, join_address(h));
        }
    }
    Ok(())
}

/// What to join a found host with: its address and, when it sent one, its fingerprint
/// (`10.0.0.2:7878/?fp=…`, an invite link without a room).
pub fn join_address(h: &crate::discovery::FoundHost) -> String {
    match &h.fingerprint {
        Some(fp) => format!("{}/?fp={fp}", h.address),
        None => h.address.clone(),
    }
}

/// One host in a line: `Room A  10.0.0.2:7878  3 people  password  v0.1.0`.
fn host_line(h: &crate::discovery::FoundHost) -> String {
    let people = if h.people == 1 { "person" } else { "people" };
    let lock = if h.password_required {
        "password"
    } else {
        "open"
    };
    format!(
        "{}  {}  {} {people}  {lock}  v{}",
        h.name,
        join_address(h),
        h.people,
        h.version
    )
}

/// Terminal columns `s` takes: 2 for East Asian wide characters (CJK, Hangul, full-width
/// forms, most emoji), 1 for the rest. An approximation that keeps a table of names aligned.
fn columns(s: &str) -> usize {
    s.chars()
        .map(|c| match u32::from(c) {
            0x1100..=0x115F
            | 0x2E80..=0xA4CF
            | 0xAC00..=0xD7A3
            | 0xF900..=0xFAFF
            | 0xFE30..=0xFE4F
            | 0xFF00..=0xFF60
            | 0xFFE0..=0xFFE6
            | 0x1F300..=0x1F64F
            | 0x1F900..=0x1F9FF
            | 0x20000..=0x3FFFD => 2,
            _ => 1,
        })
        .sum()
}

/// The hosts as an aligned table with a header.
fn host_table(hosts: &[crate::discovery::FoundHost]) -> String {
    let rows: Vec<[String; 5]> = hosts
        .iter()
        .map(|h| {
            [
                h.name.clone(),
                h.address.clone(),
                h.people.to_string(),
                if h.password_required { "yes" } else { "no" }.to_owned(),
                h.version.clone(),
            ]
        })
        .collect();
    let head = ["NAME", "ADDRESS", "PEOPLE", "PASSWORD", "VERSION"].map(String::from);
    let width = |i: usize| {
        std::iter::once(&head)
            .chain(&rows)
            .map(|r| columns(&r[i]))
            .max()
            .unwrap_or(0)
    };
    let widths: Vec<usize> = (0..5).map(width).collect();
    let mut out = String::new();
    for r in std::iter::once(&head).chain(&rows) {
        let cells: Vec<String> = r
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c}{}", " ".repeat(w - columns(c))))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

/// `serve --memory` keeps files in `<temp>/lanchat-files-<pid>-<random>`, removed when it stops.
const SCRATCH_PREFIX: &str = "lanchat-files-";

/// Removes the file directories of `serve --memory` runs that were killed before they could
/// (their pid is gone). Linux only: elsewhere there is no cheap way to ask about a pid.
fn remove_stale_scratch() {
    if !cfg!(target_os = "linux") {
        return;
    }
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(pid) = name
            .strip_prefix(SCRATCH_PREFIX)
            .and_then(|rest| rest.split('-').next())
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// The URLs to print: loopback first (what local tools use), then LAN addresses.
fn listen_urls(bind: IpAddr, port: u16) -> Vec<String> {
    let fmt = |ip: IpAddr| match ip {
        IpAddr::V6(v6) => format!("http://[{v6}]:{port}"),
        v4 => format!("http://{v4}:{port}"),
    };
    if bind.is_unspecified() {
        let mut v = vec![fmt(IpAddr::V4(Ipv4Addr::LOCALHOST))];
        v.extend(crate::net::lan_addresses().into_iter().map(fmt));
        v
    } else {
        vec![fmt(bind)]
    }
}

/// Resolves on Ctrl-C or SIGTERM. The handlers are installed by this call, not on the first
/// poll: a signal that comes while `join` connects, or right after `serve` prints its address,
/// is kept for the caller instead of killing the process before its goodbye.
fn shutdown_signal() -> impl Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut int = signal(SignalKind::interrupt()).expect("installing a SIGINT handler");
        let mut term = signal(SignalKind::terminate()).expect("installing a SIGTERM handler");
        async move {
            tokio::select! {
                _ = int.recv() => {}
                _ = term.recv() => {}
            }
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// One line per message: `nick: text`, notices as `* text`, newlines shown as ` ⏎ `.
pub fn format_line(m: &Message) -> String {
    format_line_at(m, "")
}

/// [`format_line`], with file messages as `nick: 📎 name (size) URL` — the link made absolute
/// with `base` (`http://host:port`), ready for `lanchat download`.
pub fn format_line_at(m: &Message, base: &str) -> String {
    let text = m.message.replace("\r\n", "\n").replace('\n', " ⏎ ");
    let target = m.target.unwrap_or(0);
    match (m.kind, &m.file) {
        (Kind::Chat, _) if m.deleted => format!("{}: (message deleted)", m.nick_name),
        (Kind::Chat, _) => match &m.reply {
            Some(q) => format!("{} ↪ {}: {}", m.nick_name, q.nick_name, text),
            None => format!("{}: {}", m.nick_name, text),
        },
        (Kind::Edit, _) => format!("* {} edited #{target}: {text}", m.nick_name),
        (Kind::Delete, _) => format!("* {} deleted #{target}", m.nick_name),
        (Kind::React, _) => format!("* {} reacted {text} to #{target}", m.nick_name),
        (Kind::Unreact, _) => format!("* {} took back {text} on #{target}", m.nick_name),
        (Kind::File, Some(f)) => format!(
            "{}: 📎 {} ({}) {base}{}",
            m.nick_name,
            f.name,
            crate::protocol::human_size(f.size),
            f.url
        ),
        (Kind::File, None) => format!("{}: {}", m.nick_name, text),
        _ => format!("* {text}"),
    }
}

/// Prints a transfer's progress to stderr now and then: at most every 2 s, and when done.
fn progress_printer(what: String) -> crate::client::OnProgress {
    let last = std::sync::Mutex::new(None::<std::time::Instant>);
    std::sync::Arc::new(move |done: u64, total: u64| {
        let mut last = last.lock().unwrap_or_else(|p| p.into_inner());
        let due = last.is_none_or(|t| t.elapsed() >= std::time::Duration::from_secs(2));
        if due || done == total {
            *last = Some(std::time::Instant::now());
            let pct = (done * 100).checked_div(total).unwrap_or(100);
            eprintln!(
                "* {what}: {pct}% ({} of {})",
                crate::protocol::human_size(done),
                crate::protocol::human_size(total)
            );
        }
    })
}

/// `lanchat download URL [-o PATH]`
pub async fn download(args: DownloadArgs) -> anyhow::Result<()> {
    let dest = match args.output {
        Some(p) => p,
        None => PathBuf::from(name_in_link(&args.url)),
    };
    let shown = dest.display().to_string();
    let size = crate::client::download(
        &args.url,
        &dest,
        std::time::Duration::from_secs(60),
        progress_printer(format!("downloading {shown}")),
        &args.trust.trust()?,
    )
    .await
    .map_err(|e| anyhow::anyhow!("download failed: {e}"))?;
    println!("{shown} ({})", crate::protocol::human_size(size));
    Ok(())
}

/// The file name a link names (`/files/<hash>/<name>?…`), cleaned like an upload's.
fn name_in_link(url: &str) -> String {
    let path = url.split(['?', '#']).next().unwrap_or("");
    let last = path.rsplit('/').next().unwrap_or("");
    let decoded = percent_encoding::percent_decode_str(last).decode_utf8_lossy();
    crate::protocol::clean_file_name(&decoded)
}

pub async fn join(args: JoinArgs) -> anyhow::Result<()> {
    let target = crate::client::parse_target(&args.address)?;
    let room = args
        .room
        .or(target.room)
        .context("which room? pass --room ROOM (or an invite link with ?room=)")?;
    let nick = args
        .nick
        .or(target.nick)
        .context("which nickname? pass --nick NAME")?;
    let room = crate::protocol::clean_room(&room)
        .map_err(|e| anyhow::anyhow!("invalid room: {}", e.message))?;
    let nick = crate::protocol::clean_nick(&nick)
        .map_err(|e| anyhow::anyhow!("invalid nickname: {}", e.message))?;

    let shutdown = shutdown_signal();
    tokio::pin!(shutdown);
    let mut cfg = ClientConfig::new(args.address.clone(), nick);
    cfg.password = args.password;
    // Without a key file this run gets an id of its own: it can edit only what it sends now.
    cfg.user_key = match args.data.map_or_else(default_data_dir, Ok) {
        Ok(dir) => crate::identity::load_or_create(&dir)
            .inspect_err(|e| eprintln!("! no user key in {} ({e})", dir.display()))
            .ok(),
        Err(_) => None,
    };
    cfg.trust = args.trust.trust()?;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let start = async {
        let client = match Client::connect(cfg.clone(), tx.clone()).await {
            // A new host, asked about on a terminal: the second connection pins exactly the
            // fingerprint the person accepted.
            Err(ClientError::Host(crate::tls::PinError::Unknown { host, seen }))
                if std::io::IsTerminal::is_terminal(&std::io::stdin()) =>
            {
                if !ask_trust(&host, seen).await? {
                    bail!("{host} was not trusted; nothing was sent to it");
                }
                cfg.trust.fingerprint = Some(seen);
                Client::connect(cfg, tx).await.map_err(explain)?
            }
            other => other.map_err(explain)?,
        };
        let ack = client.join(&room).await.map_err(explain)?;
        anyhow::Ok((client, ack.user_id))
    };
    let (client, me) = tokio::select! {
        client = start => client?,
        _ = &mut shutdown => bail!("interrupted before joining"),
    };

    let base = client.base_url().to_owned();
    // The highest seq printed, so that at the end we wait for our own messages' echoes (a
    // file's link is only in its message).
    let (printed_tx, mut printed) = tokio::sync::watch::channel(0u64);
    // The newest message seen and the newest of ours: what `/react`, `/reply`, `/edit` and
    // `/delete` act on when not given a `#SEQ`.
    let latest = std::sync::Arc::new(std::sync::Mutex::new(Latest::default()));
    let seen = latest.clone();
    let printer = tokio::spawn(async move {
        while let Some(ev) = rx.recv().await {
            match ev {
                ClientEvent::Message(m) => {
                    println!("{}", format_line_at(&m, &base));
                    seen.lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .note(&m, me.as_deref());
                    printed_tx.send_if_modified(|s| {
                        let higher = m.seq > *s;
                        *s = (*s).max(m.seq);
                        higher
                    });
                }
                ClientEvent::State {
                    state: ConnState::Reconnecting,
                    reason,
                    ..
                } => {
                    eprintln!(
                        "* connection lost ({}); reconnecting…",
                        reason.unwrap_or_default()
                    )
                }
                ClientEvent::State {
                    state: ConnState::Connected,
                    server,
                    ..
                } => match server {
                    // Our node went away and another node of the cluster took us in.
                    Some(node) => eprintln!("* connected to {node} (another node of the cluster)"),
                    None => eprintln!("* connected"),
                },
                ClientEvent::State {
                    state: ConnState::Disconnected,
                    reason,
                    ..
                } => {
                    eprintln!("* disconnected: {}", reason.unwrap_or_default())
                }
                ClientEvent::Kicked(k) => {
                    eprintln!("* you were removed from {} by {}", k.room, k.by)
                }
                ClientEvent::ServerClosing(s) => eprintln!("* {}", s.message),
                // The terminal holds one room: say where the private conversation is.
                ClientEvent::PrivateInvite(i) => eprintln!(
                    "* {} wrote to you privately; read it with: lanchat join ADDRESS {} YOUR-NICK",
                    i.nick_name, i.room
                ),
                ClientEvent::Error { code, message, .. } => eprintln!("! {message} ({code})"),
                _ => {}
            }
        }
    });

    let mut lines = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    let mut acks = Vec::new();
    let mut uploads = Vec::new();
    let mut searches = Vec::new();
    loop {
        tokio::select! {
            line = lines.next_line() => match line.context("reading stdin")? {
                None => break,
                Some(line) if line.trim().is_empty() => continue,
                Some(line) => {
                    let command = line.trim_start();
                    if let Some(path) = command.strip_prefix("/send ") {
                        uploads.push(send_file(&client, &room, path.trim()));
                    } else if let Some(words) = command.strip_prefix("/search ") {
                        searches.push(search(&client, &room, words.trim()));
                    } else {
                        let latest = *latest.lock().unwrap_or_else(|p| p.into_inner());
                        match conversation_command(&line, latest) {
                            Some(Ok(cmd)) => {
                                if let Some(ack) = run_command(&client, &room, cmd).await {
                                    acks.push(ack);
                                }
                            }
                            Some(Err(usage)) => eprintln!("! {usage}"),
                            None => acks.push(client.send(&room, &line, None).map_err(explain)?),
                        }
                    }
                }
            },
            _ = &mut shutdown => {
                // Unfinished uploads stay on the host and can be sent again later.
                uploads.iter().for_each(|u| u.abort());
                break;
            }
        }
    }
    for s in searches {
        let _ = s.await;
    }
    let mut refused = 0;
    let mut last_seq = 0;
    for up in uploads {
        match up.await {
            Ok(Some(seq)) => last_seq = last_seq.max(seq),
            _ => refused += 1,
        }
    }
    for ack in acks {
        match ack.await {
            Ok(Ok(ack)) => last_seq = last_seq.max(ack.seq),
            Ok(Err(e)) => {
                refused += 1;
                eprintln!("! not sent: {e}");
            }
            Err(_) => refused += 1,
        }
    }
    // Our own messages come back as broadcasts a moment after their acks: print them before
    // leaving (at most 2 s; a legacy server's have no seq and were echoed already).
    let echoed = printed.wait_for(|s| *s >= last_seq);
    let _ = tokio::time::timeout(std::time::Duration::from_secs(2), echoed).await;
    client.disconnect().await;
    printer.abort();
    if refused > 0 {
        bail!("{refused} message(s) or file(s) were not accepted by the server");
    }
    Ok(())
}

/// The newest message seen in the room, and the newest of our own.
#[derive(Debug, Default, Clone, Copy)]
struct Latest {
    any: u64,
    mine: u64,
}

impl Latest {
    fn note(&mut self, m: &Message, me: Option<&str>) {
        if matches!(m.kind, Kind::Chat | Kind::File) && !m.deleted {
            self.any = self.any.max(m.seq);
            if me.is_some() && m.user_id.as_deref() == me {
                self.mine = self.mine.max(m.seq);
            }
        }
    }
}

/// A conversation command typed in `lanchat join`.
#[derive(Debug, PartialEq, Eq)]
enum ChatCommand {
    Edit(u64, String),
    Delete(u64),
    React(u64, String),
    Reply(u64, String),
}

/// Reads `/edit [#SEQ] TEXT`, `/delete [#SEQ]`, `/react [#SEQ] EMOJI`, `/reply [#SEQ] TEXT`.
/// Without `#SEQ`, edit and delete act on our newest message, react and reply on the room's
/// newest. `None`: not a command (sent as a message); `Err`: a usage line to show.
fn conversation_command(line: &str, latest: Latest) -> Option<Result<ChatCommand, String>> {
    let line = line.trim();
    let (cmd, rest) = line.split_once(' ').unwrap_or((line, ""));
    let (default, usage) = match cmd {
        "/edit" => (latest.mine, "/edit [#SEQ] TEXT"),
        "/delete" => (latest.mine, "/delete [#SEQ]"),
        "/react" => (latest.any, "/react [#SEQ] EMOJI"),
        "/reply" => (latest.any, "/reply [#SEQ] TEXT"),
        _ => return None,
    };
    let rest = rest.trim();
    let (seq, arg) = match rest.strip_prefix('#') {
        Some(r) => {
            let (n, arg) = r.split_once(' ').unwrap_or((r, ""));
            match n.parse::<u64>() {
                Ok(n) => (n, arg.trim()),
                Err(_) => return Some(Err(format!("usage: {usage}"))),
            }
        }
        None => (default, rest),
    };
    if seq == 0 {
        return Some(Err(format!("nothing to act on yet; usage: {usage}")));
    }
    let need_arg = |f: fn(u64, String) -> ChatCommand| {
        if arg.is_empty() {
            Err(format!("usage: {usage}"))
        } else {
            Ok(f(seq, arg.to_owned()))
        }
    };
    Some(match cmd {
        "/edit" => need_arg(ChatCommand::Edit),
        "/react" => need_arg(ChatCommand::React),
        "/reply" => need_arg(ChatCommand::Reply),
        _ => Ok(ChatCommand::Delete(seq)),
    })
}

/// Runs a conversation command; a reply is a message whose ack the caller waits for.
async fn run_command(
    client: &Client,
    room: &str,
    cmd: ChatCommand,
) -> Option<tokio::sync::oneshot::Receiver<Result<crate::protocol::SendAck, ClientError>>> {
    let done = match cmd {
        ChatCommand::Reply(seq, text) => {
            return client.send_reply(room, &text, None, Some(seq)).ok();
        }
        ChatCommand::Edit(seq, text) => client.edit(room, seq, &text).await,
        ChatCommand::Delete(seq) => client.delete(room, seq).await,
        ChatCommand::React(seq, emoji) => client.react(room, seq, &emoji, true).await,
    };
    if let Err(e) = done {
        eprintln!("! {e}");
    }
    None
}

/// `/send PATH`: uploads on a task of its own (chat goes on meanwhile), reporting progress and
/// the outcome on stderr. Resolves to the file message's seq once posted.
fn send_file(client: &Client, room: &str, path: &str) -> tokio::task::JoinHandle<Option<u64>> {
    let (client, room, path) = (client.clone(), room.to_owned(), PathBuf::from(path));
    tokio::spawn(async move {
        let shown = path.display().to_string();
        let progress = progress_printer(format!("sending {shown}"));
        match client.upload_file(&room, &path, progress).await {
            Ok(ack) => {
                eprintln!("* sent {shown} (#{})", ack.seq);
                Some(ack.seq)
            }
            Err(e) => {
                eprintln!("! {shown} not sent: {e}");
                None
            }
        }
    })
}

/// `/search WORDS`: prints the room's newest messages with those words on stdout, one line each
/// (`? #SEQ NICK: …snippet…`, the matched words between `*`), then how many there were.
fn search(client: &Client, room: &str, words: &str) -> tokio::task::JoinHandle<()> {
    let (client, room, words) = (client.clone(), room.to_owned(), words.to_owned());
    tokio::spawn(async move {
        match client.search(&room, &words, None).await {
            Ok(found) => {
                for h in &found.results {
                    let snippet: String = h
                        .snippet
                        .chars()
                        .map(|c| match c {
                            crate::protocol::HIT_START | crate::protocol::HIT_END => '*',
                            c => c,
                        })
                        .collect();
                    println!("? #{} {}: {snippet}", h.seq, h.nick_name);
                }
                let more = if found.more { " (newest shown)" } else { "" };
                println!("? {} found for {words:?}{more}", found.results.len());
            }
            Err(e) => eprintln!("! search failed: {e}"),
        }
    })
}

/// "Trust this host?" on the terminal; yes only for `y` or `yes`.
async fn ask_trust(host: &str, seen: crate::tls::Fingerprint) -> anyhow::Result<bool> {
    eprintln!(
        "{host} is new to this computer. Its fingerprint is\n  {seen}\nCompare it with the one \
         the host shows. Trust it from now on? [y/N] "
    );
    let mut line = String::new();
    tokio::io::BufReader::new(tokio::io::stdin())
        .read_line(&mut line)
        .await?;
    Ok(matches!(
        line.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}

fn explain(e: ClientError) -> anyhow::Error {
    match e {
        ClientError::BadPassword => {
            anyhow::anyhow!("wrong password for this server (use --password)")
        }
        ClientError::PasswordRequired => {
            anyhow::anyhow!("this server needs a password (use --password)")
        }
        other => anyhow::anyhow!("{other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discovery::FoundHost;

    fn host(name: &str, address: &str, people: u32, pw: bool) -> FoundHost {
        FoundHost {
            id: format!("{name}._lanchat._tcp.local."),
            name: name.into(),
            address: address.into(),
            addresses: vec![address.rsplit_once(':').unwrap().0.into()],
            port: 7878,
            version: "0.1.0".into(),
            password_required: pw,
            people,
            fingerprint: None,
        }
    }

    /// `lanchat discover` prints an aligned table, wide names included.
    #[test]
    fn the_discover_table_is_aligned() {
        let table = host_table(&[
            host("房间", "10.0.0.2:7878", 3, true),
            host("Room B", "10.0.0.30:7878", 12, false),
        ]);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(
            lines[0],
            "NAME    ADDRESS         PEOPLE  PASSWORD  VERSION"
        );
        assert_eq!(lines[1], "房间    10.0.0.2:7878   3       yes       0.1.0");
        assert_eq!(lines[2], "Room B  10.0.0.30:7878  12      no        0.1.0");
        assert_eq!(
            host_line(&host("A", "10.0.0.2:7878", 1, false)),
            "A  10.0.0.2:7878  1 person  open  v0.1.0"
        );
    }

    /// The terminal's conversation commands pick a message by `#SEQ`, or the newest.
    #[test]
    fn conversation_commands_parse() {
        let l = Latest { any: 9, mine: 7 };
        assert_eq!(
            conversation_command("/edit fixed", l),
            Some(Ok(ChatCommand::Edit(7, "fixed".into())))
        );
        assert_eq!(
            conversation_command("/react #3 👍", l),
            Some(Ok(ChatCommand::React(3, "👍".into())))
        );
        assert_eq!(
            conversation_command("/delete", l),
            Some(Ok(ChatCommand::Delete(7)))
        );
        assert_eq!(
            conversation_command("/reply #x hi", l),
            Some(Err("usage: /reply [#SEQ] TEXT".into()))
        );
        assert!(matches!(conversation_command("/edit", l), Some(Err(_))));
        assert_eq!(conversation_command("hello /edit", l), None);
        assert!(matches!(
            conversation_command("/delete", Latest::default()),
            Some(Err(_))
        ));
    }

    /// `--no-announce` reads `LANCHAT_NO_ANNOUNCE` like clap reads any flag's variable.
    #[test]
    fn serve_has_an_announce_switch() {
        let cli = Cli::try_parse_from(["lanchat", "serve", "--no-announce"]).unwrap();
        let Some(Command::Serve(a)) = cli.command else {
            panic!("not serve")
        };
        assert!(a.no_announce);
        let cli =
            Cli::try_parse_from(["lanchat", "discover", "--json", "--timeout", "1.5"]).unwrap();
        let Some(Command::Discover(d)) = cli.command else {
            panic!("not discover")
        };
        assert!(d.json && !d.watch && d.timeout == 1.5);
        assert!(Cli::try_parse_from(["lanchat", "discover", "--timeout", "-1"]).is_err());
    }
}
