//! An output file written piece by piece that appears at its path only when complete: the
//! streaming form of [`gmm_core::write_atomic`].

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use gmm_core::{GmmError, OutputFile, Result};

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
    out: Option<BufWriter<OutputFile>>,
}

impl AtomicWriter {
    /// Starts the output file `path`: a temporary file with a random name beside it, or,
    /// for a device or FIFO, the target itself (see [`gmm_core::OutputFile`]).
    ///
    /// # Errors
    /// [`GmmError::Io`] naming `path` when it is not a file path, is a directory, or its
    /// directory is not writable.
    pub fn create(path: &Path) -> Result<Self> {
        let file = OutputFile::create(path)?;
        Ok(Self {
            target: path.to_path_buf(),
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
        let file = out.into_inner().map_err(|e| GmmError::Io {
            path: self.target.display().to_string(),
            reason: format!("cannot write the output file ({})", e.error()),
        })?;
        file.commit()
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
        // unwritten buffered bytes are discarded; the OutputFile removes its temporary file
        if let Some(out) = self.out.take() {
            let (file, _) = out.into_parts();
            drop(file);
        }
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::{FileTypeExt, PermissionsExt, symlink};

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("gmm-io-atomic-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn write(path: &Path, bytes: &[u8]) -> Result<()> {
        let mut out = AtomicWriter::create(path)?;
        out.write_all(bytes).unwrap();
        out.commit()
    }

    #[test]
    fn planted_link_and_fifo_at_the_old_temporary_name_are_not_followed() {
        let dir = scratch("planted");
        let pid = std::process::id();
        let victim = dir.join("victim.txt");
        fs::write(&victim, b"precious").unwrap();
        let link = dir.join(format!(".out.csv.{pid}.tmp"));
        symlink(&victim, &link).unwrap();
        let fifo = dir.join(format!(".labels.csv.{pid}.tmp"));
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        write(&dir.join("out.csv"), b"x\n1\n").unwrap();
        write(&dir.join("labels.csv"), b"label\n0\n").unwrap();
        assert_eq!(fs::read(dir.join("out.csv")).unwrap(), b"x\n1\n");
        assert_eq!(fs::read(dir.join("labels.csv")).unwrap(), b"label\n0\n");
        assert_eq!(fs::read(&victim).unwrap(), b"precious");
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn mode_kept_device_in_place_link_followed_directory_refused() {
        let dir = scratch("cases");
        let target = dir.join("labels.csv");
        fs::write(&target, b"old").unwrap();
        fs::set_permissions(&target, fs::Permissions::from_mode(0o600)).unwrap();
        write(&target, b"new").unwrap();
        assert_eq!(
            fs::metadata(&target).unwrap().permissions().mode() & 0o777,
            0o600
        );

        write(Path::new("/dev/null"), b"discarded").unwrap();
        assert!(
            fs::metadata("/dev/null")
                .unwrap()
                .file_type()
                .is_char_device()
        );

        let link = dir.join("link.csv");
        symlink("labels.csv", &link).unwrap();
        write(&link, b"through").unwrap();
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read(&target).unwrap(), b"through");

        let err = write(&dir, b"x").unwrap_err();
        assert!(err.to_string().contains("directory"), "{err}");
        let names: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
        fs::remove_dir_all(&dir).unwrap();
    }
}
