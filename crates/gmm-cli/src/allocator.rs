//! The allocator of the `gmm` command: the system's, except that an allocation the machine
//! refuses ends the command with exit status 1 and a message naming the memory limit,
//! instead of Rust's abort (SIGABRT, exit status 134, and a core dump).
//!
//! Every fit and query checks its memory against `--max-memory` (or what this process may
//! use) before it allocates, so this is reached only when a user raised the limit beyond
//! what the machine can give (`--max-memory 100TB`) or the machine's memory was taken by
//! others meanwhile. The message is written without allocating (into a buffer on the
//! stack), the temporary files of outputs being written are removed (as on SIGINT), and
//! the process ends with `_exit(1)`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// The system allocator, ending the process cleanly when it refuses.
pub struct ExitOnRefusal;

/// The `--max-memory` in force (0: not given, the default limit).
static LIMIT: AtomicU64 = AtomicU64::new(0);

/// Set while the refusal is reported, so that a refusal during the cleanup does not
/// report again.
static REFUSED: AtomicBool = AtomicBool::new(false);

/// Records the `--max-memory` of the command, for the message.
pub fn set_limit(bytes: Option<u64>) {
    LIMIT.store(bytes.unwrap_or(0), Ordering::Relaxed);
}

// SAFETY: every method forwards to `System` with the caller's layout and pointer, as the
// `GlobalAlloc` contract asks; a null result (the refusal) never returns.
unsafe impl GlobalAlloc for ExitOnRefusal {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as received.
        let p = unsafe { System.alloc(layout) };
        if p.is_null() {
            refused(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as received.
        let p = unsafe { System.alloc_zeroed(layout) };
        if p.is_null() {
            refused(layout.size());
        }
        p
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded as received.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if p.is_null() {
            refused(new_size);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded as received.
        unsafe { System.dealloc(ptr, layout) }
    }
}

/// A message built in a fixed buffer (longer text is cut).
struct StackText {
    bytes: [u8; 640],
    len: usize,
}

impl std::fmt::Write for StackText {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let take = s.len().min(self.bytes.len() - self.len);
        self.bytes[self.len..self.len + take].copy_from_slice(&s.as_bytes()[..take]);
        self.len += take;
        Ok(())
    }
}

/// `bytes` for people (`2.1 GB`, `100.0 TB`; powers of 1000), written without allocating.
fn write_size(text: &mut StackText, bytes: u64) {
    const UNITS: [&str; 6] = ["bytes", "KB", "MB", "GB", "TB", "PB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    let _ = write!(text, "{value:.1} {}", UNITS[unit]);
}

/// Reports the refused allocation of `size` bytes, removes the temporary output files and
/// ends the process with exit status 1.
fn refused(size: usize) -> ! {
    let first = !REFUSED.swap(true, Ordering::SeqCst);
    if first {
        let mut text = StackText {
            bytes: [0; 640],
            len: 0,
        };
        let _ = write!(text, "error: the machine refused ");
        write_size(&mut text, size as u64);
        let _ = write!(text, " of memory ({size} bytes), which ");
        match LIMIT.load(Ordering::Relaxed) {
            0 => {
                let _ = write!(text, "the default memory limit allowed");
            }
            limit => {
                let _ = write!(text, "--max-memory ");
                write_size(&mut text, limit);
                let _ = write!(text, " allowed");
            }
        }
        let _ = writeln!(
            text,
            ": give a --max-memory the machine can hold (or leave it out: the default is \
             what this process may use), so that a job too large is refused before it \
             starts; or use diagonal covariances, fewer components or --stream"
        );
        // SAFETY: writes `len` initialised bytes of the buffer to standard error.
        unsafe {
            libc::write(2, text.bytes.as_ptr().cast(), text.len);
        }
        // small allocations may still succeed; a refusal among them comes back here and
        // exits at once. The registry stays locked until the end, so no writer moves a
        // file into place meanwhile (as on a signal).
        let _registry = gmm_io::remove_temporaries();
        // SAFETY: ends the process without unwinding or running destructors, which could
        // allocate.
        unsafe { libc::_exit(1) }
    }
    // SAFETY: as above.
    unsafe { libc::_exit(1) }
}
