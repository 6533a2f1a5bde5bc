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
