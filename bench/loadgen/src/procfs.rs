//! CPU time and resident memory of a process, read from /proc (Linux only).

/// User+system CPU time of `pid` in seconds (`self` for this process).
pub fn cpu_secs(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0) // USER_HZ is 100 on every Linux we run on
}

/// Resident set size of `pid` in KiB.
pub fn rss_kib(pid: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// CPU use of a process between two points in time, as a percentage of one core.
pub struct CpuMeter {
    pid: String,
    at: std::time::Instant,
    secs: Option<f64>,
}

impl CpuMeter {
    pub fn start(pid: &str) -> Self {
        Self {
            pid: pid.to_string(),
            at: std::time::Instant::now(),
            secs: cpu_secs(pid),
        }
    }

    pub fn percent(&self) -> Option<f64> {
        let used = cpu_secs(&self.pid)? - self.secs?;
        Some(100.0 * used / self.at.elapsed().as_secs_f64())
    }
}

/// Nanoseconds `pid`'s threads have spent runnable but waiting for a CPU (summed over threads,
/// from schedstat). Grows when something else competes for the pinned core.
pub fn runq_wait_ns(pid: &str) -> Option<u64> {
    let mut total = 0u64;
    for t in std::fs::read_dir(format!("/proc/{pid}/task")).ok()? {
        let Ok(t) = t else { continue };
        let Ok(s) = std::fs::read_to_string(t.path().join("schedstat")) else {
            continue;
        };
        total += s
            .split_whitespace()
            .nth(1)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0);
    }
    Some(total)
}

/// Share of wall time a process spent waiting for its CPU between two points.
pub struct WaitMeter {
    pid: String,
    at: std::time::Instant,
    ns: Option<u64>,
}

impl WaitMeter {
    pub fn start(pid: &str) -> Self {
        Self {
            pid: pid.to_string(),
            at: std::time::Instant::now(),
            ns: runq_wait_ns(pid),
        }
    }

    pub fn percent(&self) -> Option<f64> {
        let waited = runq_wait_ns(&self.pid)?.checked_sub(self.ns?)? as f64 / 1e9;
        Some(100.0 * waited / self.at.elapsed().as_secs_f64())
    }
}

/// Per-CPU time spent running tasks (user + nice + system, without interrupt time), in ticks.
fn cpu_task_ticks() -> Vec<u64> {
    let Ok(stat) = std::fs::read_to_string("/proc/stat") else {
        return Vec::new();
    };
    stat.lines()
        .filter(|l| l.starts_with("cpu") && l.as_bytes().get(3).is_some_and(u8::is_ascii_digit))
        .map(|l| {
            l.split_whitespace()
                .skip(1)
                .take(3)
                .filter_map(|v| v.parse::<u64>().ok())
                .sum()
        })
        .collect()
}

/// How busy each CPU was with tasks (any process) between two points, % of the window.
/// Minus our own and the server's CPU use, it shows what else ran on the pinned cores.
pub struct CpuLoadMeter {
    at: std::time::Instant,
    ticks: Vec<u64>,
}

impl CpuLoadMeter {
    pub fn start() -> Self {
        Self {
            at: std::time::Instant::now(),
            ticks: cpu_task_ticks(),
        }
    }

    pub fn percent(&self) -> Vec<f64> {
        let secs = self.at.elapsed().as_secs_f64();
        cpu_task_ticks()
            .iter()
            .zip(&self.ticks)
            .map(|(b, a)| 100.0 * (b.saturating_sub(*a)) as f64 / 100.0 / secs)
            .collect()
    }
}
