//! Latency summaries from raw microsecond samples.

use serde::Serialize;

#[derive(Serialize, Default, Clone, Copy)]
pub struct Summary {
    pub n: usize,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
    pub mean: f64,
}

/// Sorts `us` in place and summarizes it in milliseconds.
pub fn summarize(us: &mut [u32]) -> Summary {
    if us.is_empty() {
        return Summary::default();
    }
    us.sort_unstable();
    let q = |p: f64| f64::from(us[((us.len() - 1) as f64 * p).round() as usize]) / 1000.0;
    let sum: u64 = us.iter().map(|&v| u64::from(v)).sum();
    Summary {
        n: us.len(),
        p50: q(0.50),
        p90: q(0.90),
        p99: q(0.99),
        max: f64::from(us[us.len() - 1]) / 1000.0,
        mean: sum as f64 / us.len() as f64 / 1000.0,
    }
}
