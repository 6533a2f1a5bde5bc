//! The per-thread workspace of the E-step: one [`TransposedChunk`] per thread, reused from
//! chunk to chunk.

use std::cell::RefCell;

use crate::stats::TransposedChunk;

thread_local! {
    /// Per-thread workspace of the E-step, reused from chunk to chunk.
    static WORKSPACE: RefCell<TransposedChunk> = RefCell::new(TransposedChunk::default());
}

/// Values a per-thread workspace may keep between calls (8 MiB); a larger one, left by a call
/// on an unusually large chunk, is released.
const WORKSPACE_KEEP: usize = 1 << 20;

/// Runs `f` on this thread's workspace (or on a fresh one if it is already in use).
pub(super) fn with_workspace<T>(f: impl FnOnce(&mut TransposedChunk) -> T) -> T {
    WORKSPACE.with(|cell| match cell.try_borrow_mut() {
        Ok(mut work) => {
            let out = f(&mut work);
            if work.xt.capacity() + work.resp.capacity() + work.scratch.capacity() > WORKSPACE_KEEP
            {
                *work = TransposedChunk::default();
            }
            out
        }
        Err(_) => f(&mut TransposedChunk::default()),
    })
}
