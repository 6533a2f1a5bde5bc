//! Scratch directories for tests that write files.

use std::path::PathBuf;

/// A fresh, empty directory for one test: `<temp>/gmm-<name>-<process id>`, emptied if it
/// exists. Tests in one process must use different names.
///
/// # Panics
/// When the directory cannot be created.
pub fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gmm-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    dir
}
