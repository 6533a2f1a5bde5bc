//! Memory bounded before it is spent: what a fit will hold, worked out from its shape, and the
//! limit it must stay under (the machine's available memory, the process's address-space
//! limit and its cgroup's memory limit, or a limit the caller sets). docs/performance.md,
//! section "Memory", gives the terms.

use crate::error::{GmmError, Result};

const F64: u64 = 8;

/// Statistics of this many chunks are alive at once while the E-step merges them.
const STATS_BATCH: u64 = 32;

/// Bytes a fit of `n` points of dimension `d` with `k` components holds at its peak, given
/// whether its covariances (and so its scatter statistics and M-step) are full D x D
/// matrices (`full_matrices`: K of them, or one when `tied`), the points of a chunk and the
/// threads: the data, each thread's chunk buffers, the model (covariances, precision factors,
/// the kernel's copy), a batch of statistics and the M-step's temporaries.
pub fn fit_bytes(shape: FitShape, chunk_rows: usize, threads: usize) -> u64 {
    let FitShape {
        n,
        d,
        k,
        full_matrices,
        tied,
    } = shape;
    let (n, d, k) = (n as u64, d as u64, k as u64);
    let matrices = if tied { 1 } else { k };
    let per_component = if full_matrices {
        d.saturating_mul(d)
    } else {
        d
    };
    let data = n.saturating_mul(d);
    let chunks = (threads.max(1) as u64)
        .saturating_mul(chunk_rows as u64)
        .saturating_mul(d.saturating_add(k));
    let tiles = if full_matrices {
        d.saturating_mul(256)
            .saturating_add(d.saturating_mul(d.saturating_add(1)).saturating_mul(4))
    } else {
        0
    };
    let model = k
        .saturating_mul(d)
        .saturating_add(matrices.saturating_mul(per_component).saturating_mul(3));
    let statistics = STATS_BATCH
        .saturating_mul(k)
        .saturating_mul(d.saturating_add(per_component));
    let m_step = matrices.saturating_mul(per_component).saturating_mul(3);
    [data, chunks, tiles, model, statistics, m_step]
        .iter()
        .fold(0u64, |sum, v| sum.saturating_add(*v))
        .saturating_mul(F64)
}

/// Bytes `predict_proba` holds for `n` points and `k` components: the N x K log
/// responsibilities and their exponentials.
pub fn predict_proba_bytes(n: usize, k: usize) -> u64 {
    (n as u64).saturating_mul(k as u64).saturating_mul(2 * F64)
}

/// Bytes `sample` holds to draw `n` points of dimension `d` from `k` components whose
/// covariances are D x D matrices (`full_matrices`) or not: the N x D points, their labels,
/// and each component's covariance factor (D x D, or D square roots).
pub fn sample_bytes(n: usize, d: usize, k: usize, full_matrices: bool) -> u64 {
    let (n, d, k) = (n as u64, d as u64, k as u64);
    let factor = if full_matrices {
        d.saturating_mul(d)
    } else {
        d
    };
    n.saturating_mul(d.saturating_add(1))
        .saturating_add(k.saturating_mul(factor))
        .saturating_add(d)
        .saturating_mul(F64)
}

/// The shape of a fit, for [`fit_bytes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FitShape {
    /// Number of points N.
    pub n: usize,
    /// Dimension D.
    pub d: usize,
    /// Number of components K.
    pub k: usize,
    /// Whether covariances, statistics and M-step hold D x D matrices.
    pub full_matrices: bool,
    /// Whether one matrix serves every component.
    pub tied: bool,
}

/// The memory a process may still use, in bytes: the smallest of the machine's available
/// memory (`MemAvailable`), the address-space limit (RLIMIT_AS) and the cgroup's memory
/// limit, among those this platform reports (`None` when it reports none).
pub fn default_limit() -> Option<u64> {
    [meminfo_available(), address_space_limit(), cgroup_limit()]
        .into_iter()
        .flatten()
        .min()
}

/// `MemAvailable` of `/proc/meminfo`.
fn meminfo_available() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib.saturating_mul(1024))
}

/// The soft limit of "Max address space" in `/proc/self/limits` (none when unlimited).
fn address_space_limit() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = text.lines().find(|l| l.starts_with("Max address space"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// The cgroup's memory limit (v2 `memory.max`, else v1 `memory.limit_in_bytes`).
fn cgroup_limit() -> Option<u64> {
    [
        "/sys/fs/cgroup/memory.max",
        "/sys/fs/cgroup/memory/memory.limit_in_bytes",
    ]
    .iter()
    .find_map(|path| std::fs::read_to_string(path).ok()?.trim().parse().ok())
}

/// `bytes` for people: `512.0 MB`, `12.8 GB`, `6.4 TB`.
pub fn human_bytes(bytes: u64) -> String {
    let b = bytes as f64;
    if b >= 1e12 {
        format!("{:.1} TB", b / 1e12)
    } else if b >= 1e9 {
        format!("{:.1} GB", b / 1e9)
    } else if b >= 1e6 {
        format!("{:.1} MB", b / 1e6)
    } else {
        format!("{bytes} bytes")
    }
}

/// Refuses `needed` bytes for `what` when they exceed `limit` (the caller's, or else
/// [`default_limit`]).
///
/// ```
/// use gmm_core::{check_memory, GmmError};
/// assert!(check_memory(1_000, Some(2_000), "a fit").is_ok());
/// assert!(matches!(
///     check_memory(3_000_000_000, Some(2_000_000_000), "a fit"),
///     Err(GmmError::MemoryLimit { .. })
/// ));
/// ```
///
/// # Errors
/// [`GmmError::MemoryLimit`] naming the amounts and what to do.
pub fn check_memory(needed: u64, limit: Option<u64>, what: &str) -> Result<()> {
    let (limit, source) = match limit {
        Some(l) => (l, "the limit set"),
        None => match default_limit() {
            Some(l) => (l, "the memory this process may use"),
            None => return Ok(()),
        },
    };
    if needed <= limit {
        return Ok(());
    }
    Err(GmmError::MemoryLimit {
        needed: human_bytes(needed),
        limit: format!("{} ({source})", human_bytes(limit)),
        what: what.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_covariances_of_wide_data_cost_d_squared_and_diagonal_ones_do_not() {
        let wide = |full_matrices| FitShape {
            n: 3,
            d: 40_000,
            k: 1,
            full_matrices,
            tied: false,
        };
        let full = fit_bytes(wide(true), 512, 2);
        let diag = fit_bytes(wide(false), 512, 2);
        assert!(full > 40_000u64 * 40_000 * 8 * 3, "{full}");
        // O(D): mostly the two threads' chunk buffers of 512 points.
        assert!(diag < 1_000_000_000, "{diag}");
        assert!(check_memory(full, Some(24 << 30), "the fit").is_err());
        assert!(check_memory(diag, Some(24 << 30), "the fit").is_ok());
    }

    #[test]
    fn query_estimates_grow_with_what_they_return_and_saturate() {
        assert_eq!(predict_proba_bytes(1_000, 3), 48_000);
        assert_eq!(predict_proba_bytes(usize::MAX, 2), u64::MAX);
        assert!(sample_bytes(1_000, 40_000, 1, false) < sample_bytes(1_000, 40_000, 1, true));
        assert!(sample_bytes(1_000, 2, 3, true) >= 1_000 * 3 * 8);
        assert_eq!(sample_bytes(usize::MAX, 2, 1, false), u64::MAX);
    }

    #[test]
    fn absurd_shapes_saturate_instead_of_overflowing() {
        let shape = FitShape {
            n: usize::MAX,
            d: usize::MAX,
            k: usize::MAX,
            full_matrices: true,
            tied: false,
        };
        assert_eq!(fit_bytes(shape, usize::MAX, 2), u64::MAX);
    }

    #[test]
    fn the_message_gives_the_amounts() {
        let e = check_memory(5_000_000_000, Some(1_000_000_000), "the fit").unwrap_err();
        let text = e.to_string();
        assert!(text.contains("5.0 GB") && text.contains("1.0 GB"), "{text}");
    }

    #[test]
    fn human_bytes_picks_the_unit() {
        assert_eq!(human_bytes(999_999), "999999 bytes");
        assert_eq!(human_bytes(512_000_000), "512.0 MB");
        assert_eq!(human_bytes(12_800_000_000), "12.8 GB");
        assert_eq!(human_bytes(6_400_000_000_000), "6.4 TB");
        assert_eq!(human_bytes(u64::MAX), "18446744.1 TB");
    }
}
