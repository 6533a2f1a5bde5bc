//! Opening data files, and noticing a file that changed between two passes of a fit (its
//! length or modification time), so that a fit never mixes two versions of the data.

use std::fs::File;
use std::path::Path;
use std::time::SystemTime;

use gmm_core::{GmmError, Result};

/// Opens `path` for reading; the error names the path and says to check it.
pub(crate) fn open(path: &Path) -> Result<File> {
    File::open(path).map_err(|e| GmmError::Io {
        path: path.display().to_string(),
        reason: format!("cannot open the file ({e}); check the path"),
    })
}

/// What `path` is when it is not a file that can be read again from the start: `"a pipe"`
/// (a FIFO, `/dev/stdin` on a pipe, `<(...)`), `"a character device"` or `"a socket"`;
/// `None` for a regular file (or a block device). Reads the metadata only, so a FIFO
/// nobody writes to does not block.
pub(crate) fn read_once_kind(path: &Path) -> Result<Option<&'static str>> {
    let meta = std::fs::metadata(path).map_err(|e| GmmError::Io {
        path: path.display().to_string(),
        reason: format!("cannot open the file ({e}); check the path"),
    })?;
    Ok(kind_of(&meta.file_type()))
}

#[cfg(unix)]
fn kind_of(t: &std::fs::FileType) -> Option<&'static str> {
    use std::os::unix::fs::FileTypeExt;
    if t.is_fifo() {
        Some("a pipe")
    } else if t.is_char_device() {
        Some("a character device")
    } else if t.is_socket() {
        Some("a socket")
    } else {
        None
    }
}

#[cfg(not(unix))]
fn kind_of(_: &std::fs::FileType) -> Option<&'static str> {
    None
}

/// The error of a second pass over a file that can be read only once.
pub(crate) fn read_once_error(path: &Path, kind: &str) -> GmmError {
    GmmError::Io {
        path: path.display().to_string(),
        reason: format!(
            "is {kind}, which can be read only once: a streamed fit reads the data once per \
             iteration; save it to a file first (or read it in memory, without --stream)"
        ),
    }
}

/// Checks that `path` can be read pass after pass (a regular file), before anything is
/// read and without opening it (a FIFO nobody writes to does not block): a streamed fit
/// reads its data once per iteration, which a pipe, a character device or a socket cannot
/// give. Reading such a file once (in memory, or one streamed pass as `predict --stream`)
/// works without this check.
///
/// ```
/// assert!(gmm_io::check_rereadable(std::path::Path::new("Cargo.toml")).is_ok());
/// # #[cfg(unix)]
/// assert!(gmm_io::check_rereadable(std::path::Path::new("/dev/null")).is_err());
/// ```
///
/// # Errors
/// [`GmmError::Io`] naming the file: "is a pipe, which can be read only once: ... save it
/// to a file first"; or when its metadata cannot be read (a missing file).
pub fn check_rereadable(path: &Path) -> Result<()> {
    match read_once_kind(path)? {
        Some(kind) => Err(read_once_error(path, kind)),
        None => Ok(()),
    }
}

/// Refuses a file that can be read only once for a format read by position (.npy, Parquet),
/// without opening it.
#[cfg(any(feature = "npy", feature = "parquet"))]
pub(crate) fn refuse_read_once(path: &Path, format: &str) -> Result<()> {
    match read_once_kind(path)? {
        Some(kind) => Err(GmmError::Io {
            path: path.display().to_string(),
            reason: format!(
                "is {kind}: {format} is read by position, which needs a file: save it to a \
                 file first"
            ),
        }),
        None => Ok(()),
    }
}

/// The length and modification time of a file when a source opened it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FileStamp {
    len: u64,
    modified: Option<SystemTime>,
}

impl FileStamp {
    /// The stamp of the open `file` at `path`.
    pub(crate) fn of(file: &File, path: &Path) -> Result<Self> {
        let meta = file.metadata().map_err(|e| GmmError::Io {
            path: path.display().to_string(),
            reason: format!("cannot read the file's metadata ({e})"),
        })?;
        Ok(Self {
            len: meta.len(),
            modified: meta.modified().ok(),
        })
    }

    /// The file's length in bytes.
    #[cfg(feature = "npy")]
    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    /// Opens `path` again for a new pass and checks that it is the file this stamp was
    /// taken of.
    ///
    /// # Errors
    /// [`GmmError::Io`] when it cannot be opened; [`GmmError::SourceChanged`] naming the
    /// file when its length or modification time changed.
    pub(crate) fn reopen(&self, path: &Path) -> Result<File> {
        let file = open(path)?;
        let now = Self::of(&file, path)?;
        if now != *self {
            return Err(GmmError::SourceChanged {
                reason: format!(
                    "{} changed since the fit first read it (length {} bytes, now {}{}): do \
                     not modify a file while it is being fitted",
                    path.display(),
                    self.len,
                    now.len,
                    if now.modified == self.modified {
                        ""
                    } else {
                        ", and a new modification time"
                    }
                ),
            });
        }
        Ok(file)
    }
}
