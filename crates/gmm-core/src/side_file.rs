//! Whole-file reads of small files (model files, means, a covariance prior, labels), bounded:
//! a file larger than [`MAX_SIDE_FILE_BYTES`], or one that is not a regular file (a
//! character device such as `/dev/zero`, a pipe, a socket), is refused with an error naming
//! it, before it is read.

use std::io::Read;
use std::path::Path;

use crate::error::{GmmError, Result};

/// The largest model file or side file (means, covariance prior, labels) read whole:
/// 256 MiB, far above any model (a full-covariance model of D = 1,000 and K = 10 is about
/// 200 MB of text).
pub const MAX_SIDE_FILE_BYTES: u64 = 256 << 20;

/// The bytes of the regular file `path`, `what` it is (`"the model file"`), refused when it
/// is not a regular file or holds more than [`MAX_SIDE_FILE_BYTES`].
///
/// ```
/// # #[cfg(unix)]
/// assert!(gmm_core::read_side_file(std::path::Path::new("/dev/zero"), "the model file").is_err());
/// ```
///
/// # Errors
/// [`GmmError::Io`] naming the path: when it cannot be read, is not a regular file (decided
/// from the metadata, so a pipe nobody writes to does not block), or is too large.
pub fn read_side_file(path: &Path, what: &str) -> Result<Vec<u8>> {
    read_capped(path, what, MAX_SIDE_FILE_BYTES)
}

/// [`read_side_file`] with the cap `cap`.
pub(crate) fn read_capped(path: &Path, what: &str, cap: u64) -> Result<Vec<u8>> {
    let error = |reason: String| GmmError::Io {
        path: path.display().to_string(),
        reason,
    };
    let meta = std::fs::metadata(path)
        .map_err(|e| error(format!("cannot read {what} ({e}); check the path")))?;
    if !meta.is_file() {
        return Err(error(format!(
            "is {}, not a regular file: {what} is read whole; give a file",
            kind(&meta.file_type())
        )));
    }
    let too_large = || {
        error(format!(
            "{what} is larger than {cap} bytes, the most that is read: check the path"
        ))
    };
    if meta.len() > cap {
        return Err(too_large());
    }
    let file = std::fs::File::open(path)
        .map_err(|e| error(format!("cannot read {what} ({e}); check the path")))?;
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| error(format!("cannot read {what} ({e}); check the path")))?;
    if bytes.len() as u64 > cap {
        return Err(too_large());
    }
    Ok(bytes)
}

#[cfg(unix)]
fn kind(t: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if t.is_fifo() {
        "a pipe"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_dir() {
        "a directory"
    } else {
        "not a file"
    }
}

#[cfg(not(unix))]
fn kind(t: &std::fs::FileType) -> &'static str {
    if t.is_dir() {
        "a directory"
    } else {
        "not a file"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("gmm-side-file-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_small_file_is_read_and_a_larger_one_refused() {
        let dir = scratch("cap");
        let path = dir.join("m.json");
        std::fs::write(&path, b"0123456789").unwrap();
        assert_eq!(
            read_capped(&path, "the model file", 10).unwrap(),
            b"0123456789"
        );
        let e = read_capped(&path, "the model file", 9)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("m.json") && e.contains("larger than 9 bytes"),
            "{e}"
        );
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn a_sparse_file_over_the_cap_is_refused_from_its_length() {
        let dir = scratch("sparse");
        let path = dir.join("big.json");
        let file = std::fs::File::create(&path).unwrap();
        file.set_len(MAX_SIDE_FILE_BYTES + 1).unwrap();
        let e = read_side_file(&path, "the model file")
            .unwrap_err()
            .to_string();
        assert!(e.contains("big.json") && e.contains("larger than"), "{e}");
        std::fs::remove_dir_all(&dir).ok();
    }

    #[cfg(unix)]
    #[test]
    fn devices_and_pipes_are_refused_without_reading() {
        let e = read_side_file(Path::new("/dev/zero"), "the model file")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("/dev/zero") && e.contains("a character device"),
            "{e}"
        );
        let dir = scratch("fifo");
        let fifo = dir.join("pipe.json");
        let status = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(status.success());
        // nobody writes to it: opening it would block, the metadata does not
        let e = read_side_file(&fifo, "the model file")
            .unwrap_err()
            .to_string();
        assert!(e.contains("pipe.json") && e.contains("a pipe"), "{e}");
        let e = read_side_file(&dir, "the model file")
            .unwrap_err()
            .to_string();
        assert!(e.contains("a directory"), "{e}");
        std::fs::remove_dir_all(&dir).ok();
    }
}
