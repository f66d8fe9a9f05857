//! Summaries of latency samples the benchmarks share.

/// The nearest-rank percentile (`percentile` a fraction, 0.99 for p99) of sorted samples.
pub fn percentile(sorted: &[f64], percentile: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() as f64 * percentile).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[index]
}
