//! Latency samples and server resource readings from /proc.
use std::time::Duration;

/// Collected latencies in milliseconds.
#[derive(Default, Debug, Clone)]
pub struct Samples(Vec<f64>);

impl Samples {
    pub fn push(&mut self, d: Duration) {
        self.0.push(d.as_secs_f64() * 1000.0);
    }
    pub fn push_ms(&mut self, ms: f64) {
        self.0.push(ms);
    }
    pub fn extend(&mut self, other: Samples) {
        self.0.extend(other.0);
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// Nearest-rank percentile (0 < p ≤ 100); 0 when empty.
    pub fn percentile(&self, p: f64) -> f64 {
        if self.0.is_empty() {
            return 0.0;
        }
        let mut v = self.0.clone();
        v.sort_by(f64::total_cmp);
        let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
        round1(v[rank.clamp(1, v.len()) - 1])
    }
    pub fn max(&self) -> f64 {
        round1(self.0.iter().copied().fold(0.0, f64::max))
    }
}

pub fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Resident memory of a process in KB (VmRSS), if readable.
pub fn rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|l| l.strip_prefix("VmRSS:")).and_then(|v| v.split_whitespace().next()?.parse().ok())
}

/// User + system CPU time of a process in seconds.
pub fn cpu_s(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may contain spaces) start after the last ')'.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0) // USER_HZ is 100 on Linux
}

/// Summed resident memory of several processes (the instances of a cluster) in KB; `None`
/// when none is given or none can be read.
pub fn rss_kb_all(pids: &[u32]) -> Option<u64> {
    let v: Vec<u64> = pids.iter().filter_map(|&p| rss_kb(p)).collect();
    (!v.is_empty()).then(|| v.iter().sum())
}

/// Summed CPU time of several processes in seconds; `None` as for [`rss_kb_all`].
pub fn cpu_s_all(pids: &[u32]) -> Option<f64> {
    let v: Vec<f64> = pids.iter().filter_map(|&p| cpu_s(p)).collect();
    (!v.is_empty()).then(|| v.iter().sum())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_by_nearest_rank() {
        let mut s = Samples::default();
        for i in 1..=100 {
            s.push_ms(i as f64);
        }
        assert_eq!(s.percentile(50.0), 50.0);
        assert_eq!(s.percentile(99.0), 99.0);
        assert_eq!(s.max(), 100.0);
        assert_eq!(Samples::default().percentile(99.0), 0.0);
    }

    #[test]
    fn reads_own_process() {
        let me = std::process::id();
        assert!(rss_kb(me).unwrap() > 0);
        assert!(cpu_s(me).is_some());
        assert!(rss_kb_all(&[me, me]).unwrap() > rss_kb(me).unwrap());
        assert!(rss_kb_all(&[]).is_none());
    }
}
