//! An output file written piece by piece that appears at its path only when complete: the
//! streaming form of [`gmm_core::write_atomic`].

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use gmm_core::{GmmError, Result};

/// An output file written as its contents are produced, into a temporary file beside the
/// target, and renamed over the target by [`AtomicWriter::commit`]. Dropped without a
/// commit (an error on the way), it removes the temporary file: nothing half-written is
/// ever left at the target path.
///
/// ```
/// use std::io::Write;
/// let dir = std::env::temp_dir().join(format!("gmm-io-atomic-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let path = dir.join("labels.csv");
/// let mut out = gmm_io::AtomicWriter::create(&path)?;
/// out.write_all(b"label\n0\n").unwrap();
/// assert!(!path.exists());
/// out.commit()?;
/// assert_eq!(std::fs::read(&path).unwrap(), b"label\n0\n");
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), gmm_core::GmmError>(())
/// ```
pub struct AtomicWriter {
    target: PathBuf,
    temp: PathBuf,
    out: Option<BufWriter<File>>,
}

fn io_error(path: &Path, what: &str, e: &std::io::Error) -> GmmError {
    GmmError::Io {
        path: path.display().to_string(),
        reason: format!("{what} ({e})"),
    }
}

impl AtomicWriter {
    /// Starts the output file `path` (a temporary file beside it, `.NAME.PID.tmp`).
    ///
    /// # Errors
    /// [`GmmError::Io`] naming `path` when it is not a file path or its directory is not
    /// writable.
    pub fn create(path: &Path) -> Result<Self> {
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = path.file_name().ok_or_else(|| GmmError::Io {
            path: path.display().to_string(),
            reason: "not a file path: give a file name".into(),
        })?;
        let temp = dir.join(format!(
            ".{}.{}.tmp",
            name.to_string_lossy(),
            std::process::id()
        ));
        let file = File::create(&temp).map_err(|e| {
            io_error(
                path,
                "cannot create the output file; check that its directory exists and is writable",
                &e,
            )
        })?;
        Ok(Self {
            target: path.to_path_buf(),
            temp,
            out: Some(BufWriter::with_capacity(1 << 16, file)),
        })
    }

    /// The target path.
    pub fn path(&self) -> &Path {
        &self.target
    }

    /// Flushes the contents to disk and moves the file into place.
    ///
    /// # Errors
    /// [`GmmError::Io`] naming the target when writing or renaming fails (the temporary
    /// file is then removed).
    pub fn commit(mut self) -> Result<()> {
        let out = self.out.take().expect("an uncommitted writer has its file");
        let done = out
            .into_inner()
            .map_err(|e| e.into_error())
            .and_then(|file| file.sync_all())
            .map_err(|e| io_error(&self.target, "cannot write the output file", &e))
            .and_then(|()| {
                fs::rename(&self.temp, &self.target)
                    .map_err(|e| io_error(&self.target, "cannot move the output into place", &e))
            });
        if done.is_err() {
            let _ = fs::remove_file(&self.temp);
        }
        done
    }
}

impl Write for AtomicWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.out
            .as_mut()
            .expect("an uncommitted writer has its file")
            .write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out
            .as_mut()
            .expect("an uncommitted writer has its file")
            .flush()
    }
}

impl Drop for AtomicWriter {
    fn drop(&mut self) {
        if self.out.take().is_some() {
            let _ = fs::remove_file(&self.temp);
        }
    }
}
