//! lanchat-loadgen: opens many real Socket.IO (engine.io v4, WebSocket transport) connections
//! to a room server speaking the tutorial events and measures what every receiver gets.
//! Prints one JSON report on stdout.

mod idle;
mod procfs;
mod rate;
mod reads;
mod redis_info;
mod sio;
mod stats;
mod tls;

use std::net::SocketAddr;

use clap::{Parser, Subcommand};

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    common: Common,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(clap::Args)]
pub struct Common {
    /// Server address, host:port. Several (comma-separated or repeated) are the nodes of one
    /// cluster: `rate` spreads its members over them round-robin (see `rate::node_of`); `idle`
    /// and `reads` use the first.
    #[arg(long, required = true, value_delimiter = ',')]
    addr: Vec<SocketAddr>,
    /// Server process ids (one per node), for their CPU and RSS readings.
    #[arg(long, value_delimiter = ',')]
    server_pid: Vec<String>,
    /// A cluster's Redis, host:port: its CPU and command counts over the measured window
    /// (`INFO`), in the `rate` report.
    #[arg(long)]
    redis: Option<SocketAddr>,
    /// Prefix of room names, so runs against one server never share rooms.
    #[arg(long, default_value = "bench")]
    prefix: String,
    /// Connections being opened at once.
    #[arg(long, default_value_t = 64)]
    connect_concurrency: usize,
    /// WebSocket read buffer per connection, bytes. tungstenite zero-fills it before every read,
    /// so bigger costs generator CPU.
    #[arg(long, default_value_t = 4096)]
    read_buf: usize,
    /// Connect over TLS (the server's certificate is not checked: this measures cost).
    #[arg(long)]
    tls: bool,
}

#[derive(Subcommand)]
enum Cmd {
    /// Open-loop messaging at a fixed rate per room (fan-out, rooms, join-with-history).
    Rate(rate::RateArgs),
    /// Idle connections: server RSS per connection.
    Idle(idle::IdleArgs),
    /// Scrollback and search requests, and joins timed meanwhile (lanchat only).
    Reads(reads::ReadsArgs),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if cli.common.tls {
        tls::enable();
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let local = tokio::task::LocalSet::new();
    let json = local.block_on(&rt, async {
        anyhow::Ok(match cli.cmd {
            Cmd::Rate(a) => serde_json::to_string_pretty(&rate::run(&cli.common, a).await?)?,
            Cmd::Idle(a) => {
                serde_json::to_string_pretty(&idle::run(cli.common.addr[0], &cli.common, a).await?)?
            }
            Cmd::Reads(a) => serde_json::to_string_pretty(
                &reads::run(cli.common.addr[0], &cli.common, a).await?,
            )?,
        })
    })?;
    println!("{json}");
    // Thousands of sockets: let the kernel close them rather than tearing down each one.
    std::process::exit(0);
}
