//! Writing output files atomically: nothing half-written is ever left at the target path.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{GmmError, Result};

fn io_error(path: &Path, what: &str, e: std::io::Error) -> GmmError {
    GmmError::Io {
        path: path.display().to_string(),
        reason: format!("{what} ({e})"),
    }
}

/// Writes `contents` to `path` atomically: first to a temporary file in the same directory,
/// flushed to disk, then renamed over `path`. On any error the temporary file is removed
/// and `path` is left as it was.
///
/// ```
/// let dir = std::env::temp_dir().join(format!("gmm-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let path = dir.join("out.txt");
/// gmm_core::write_atomic(&path, b"hello")?;
/// assert_eq!(std::fs::read(&path).unwrap(), b"hello");
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), gmm_core::GmmError>(())
/// ```
///
/// # Errors
/// [`GmmError::Io`] naming the path when the directory does not exist or is not writable.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| GmmError::Io {
            path: path.display().to_string(),
            reason: "not a file path: give a file name".into(),
        })?
        .to_string_lossy();
    let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = fs::File::create(&temp).map_err(|e| {
            io_error(
                path,
                "cannot create the output file; check that its directory exists and is writable",
                e,
            )
        })?;
        file.write_all(contents)
            .and_then(|()| file.sync_all())
            .map_err(|e| io_error(path, "cannot write the output file", e))?;
        fs::rename(&temp, path).map_err(|e| io_error(path, "cannot move the output into place", e))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}

/// Writes several files (name, text or bytes) into `dir` (created if missing), each atomically; all contents are
/// produced before this is called, so a failure while producing them writes nothing.
///
/// # Errors
/// [`GmmError::Io`] when the directory cannot be created or a file cannot be written.
pub fn write_all_atomic<C: AsRef<[u8]>>(dir: &Path, files: &[(String, C)]) -> Result<Vec<PathBuf>> {
    fs::create_dir_all(dir).map_err(|e| {
        io_error(
            dir,
            "cannot create the output directory; check the path and its permissions",
            e,
        )
    })?;
    let mut written = Vec::with_capacity(files.len());
    for (name, contents) in files {
        let path = dir.join(name);
        write_atomic(&path, contents.as_ref())?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_write_leaves_nothing_and_success_replaces() {
        let dir = std::env::temp_dir().join(format!("gmm-output-test-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let target = dir.join("model.json");
        write_atomic(&target, b"first").unwrap();
        write_atomic(&target, b"second").unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"second");
        let missing = dir.join("no-such-dir").join("model.json");
        let err = write_atomic(&missing, b"x").unwrap_err();
        assert!(err.to_string().contains("no-such-dir"), "{err}");
        assert!(!missing.exists());
        let leftovers: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .filter(|n| n.to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
        let written =
            write_all_atomic(&dir.join("sub"), &[("a.svg".into(), b"<svg/>".to_vec())]).unwrap();
        assert_eq!(fs::read(&written[0]).unwrap(), b"<svg/>");
        fs::remove_dir_all(&dir).unwrap();
    }
}
