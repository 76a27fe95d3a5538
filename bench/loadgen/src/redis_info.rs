//! What a cluster's Redis did during the measured window: its CPU, its command counts and its
//! network bytes, from two `INFO all` snapshots (spoken as a RESP inline command, so the
//! generator needs no Redis client).

use std::collections::BTreeMap;
use std::net::SocketAddr;

use anyhow::{Context, bail};
use serde::Serialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One `INFO all` reading.
pub struct Snapshot {
    at: std::time::Instant,
    cpu_s: f64,
    calls: BTreeMap<String, u64>,
    net_in: u64,
    net_out: u64,
}

/// The difference of two snapshots.
#[derive(Serialize)]
pub struct RedisWindow {
    /// Redis's CPU (all its threads, user + system), % of one core.
    pub cpu_pct: f64,
    pub cpu_s: f64,
    /// Calls per command (lower-case, e.g. `xadd`, `exec`, `xread`), the `INFO`s excluded.
    pub calls: BTreeMap<String, u64>,
    pub net_in_bytes: u64,
    pub net_out_bytes: u64,
}

pub async fn snapshot(addr: SocketAddr) -> anyhow::Result<Snapshot> {
    let mut tcp = TcpStream::connect(addr).await.context("connect to Redis")?;
    tcp.write_all(b"INFO all\r\n").await?;
    let mut buf = Vec::with_capacity(16 * 1024);
    // `$<len>\r\n<body>\r\n`
    let (len, head) = loop {
        let mut chunk = [0u8; 8192];
        let n = tcp.read(&mut chunk).await?;
        if n == 0 {
            bail!("Redis closed the connection");
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(p) = buf.windows(2).position(|w| w == b"\r\n") {
            if buf.first() != Some(&b'$') {
                bail!(
                    "unexpected INFO reply: {:?}",
                    String::from_utf8_lossy(&buf[..p])
                );
            }
            break (std::str::from_utf8(&buf[1..p])?.parse::<usize>()?, p + 2);
        }
    };
    while buf.len() < head + len {
        let mut chunk = [0u8; 8192];
        let n = tcp.read(&mut chunk).await?;
        if n == 0 {
            bail!("Redis closed the connection mid-reply");
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Ok(parse(std::str::from_utf8(&buf[head..head + len])?))
}

fn parse(text: &str) -> Snapshot {
    let mut s = Snapshot {
        at: std::time::Instant::now(),
        cpu_s: 0.0,
        calls: BTreeMap::new(),
        net_in: 0,
        net_out: 0,
    };
    for line in text.lines() {
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        match k {
            "used_cpu_sys" | "used_cpu_user" => s.cpu_s += v.trim().parse::<f64>().unwrap_or(0.0),
            "total_net_input_bytes" => s.net_in = v.trim().parse().unwrap_or(0),
            "total_net_output_bytes" => s.net_out = v.trim().parse().unwrap_or(0),
            _ => {
                if let Some(cmd) = k.strip_prefix("cmdstat_") {
                    let calls = v
                        .split(',')
                        .find_map(|f| f.strip_prefix("calls="))
                        .and_then(|c| c.parse().ok());
                    if let Some(c) = calls {
                        s.calls.insert(cmd.to_owned(), c);
                    }
                }
            }
        }
    }
    s
}

impl Snapshot {
    pub fn until(&self, later: &Snapshot) -> RedisWindow {
        let secs = later.at.duration_since(self.at).as_secs_f64().max(1e-9);
        let cpu_s = (later.cpu_s - self.cpu_s).max(0.0);
        let calls = later
            .calls
            .iter()
            .filter(|(k, _)| k.as_str() != "info")
            .map(|(k, &v)| {
                (
                    k.clone(),
                    v.saturating_sub(self.calls.get(k).copied().unwrap_or(0)),
                )
            })
            .filter(|&(_, v)| v > 0)
            .collect();
        RedisWindow {
            cpu_pct: 100.0 * cpu_s / secs,
            cpu_s,
            calls,
            net_in_bytes: later.net_in.saturating_sub(self.net_in),
            net_out_bytes: later.net_out.saturating_sub(self.net_out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cpu_calls_and_bytes() {
        let s = parse(
            "# CPU\r\nused_cpu_sys:1.5\r\nused_cpu_user:0.25\r\n# Stats\r\ntotal_net_input_bytes:10\r\n\
             total_net_output_bytes:20\r\n# Commandstats\r\n\
             cmdstat_xadd:calls=42,usec=100,usec_per_call=2.38,rejected_calls=0,failed_calls=0\r\n",
        );
        assert_eq!(s.cpu_s, 1.75);
        assert_eq!(s.calls.get("xadd"), Some(&42));
        assert_eq!((s.net_in, s.net_out), (10, 20));
    }
}
