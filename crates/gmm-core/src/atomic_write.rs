//! Writing output files atomically: nothing half-written is ever left at the target path.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::error::{GmmError, Result};

fn io_error(path: &Path, what: &str, e: std::io::Error) -> GmmError {
    GmmError::Io {
        path: path.display().to_string(),
        reason: format!("{what} ({e})"),
    }
}

/// The temporary files being written now, removed by [`remove_temporaries`] (the `gmm`
/// command calls it on SIGINT/SIGTERM, which end the process without running drops).
static IN_FLIGHT: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn in_flight() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    IN_FLIGHT
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Removes every temporary output file still being written and holds the registry locked
/// until the process ends, so no writer moves a file into place afterwards: for a signal
/// handler that then exits.
pub fn remove_temporaries() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    let mut list = in_flight();
    for temp in list.drain(..) {
        let _ = fs::remove_file(temp);
    }
    list
}

/// The path a write to `path` lands on: `path` itself, or, when `path` is a symbolic link
/// (also one that points nowhere yet), the file at the end of its chain of links, so the
/// link stays a link.
fn resolve_links(path: &Path) -> Result<PathBuf> {
    let mut p = path.to_path_buf();
    for _ in 0..40 {
        match fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let to = fs::read_link(&p)
                    .map_err(|e| io_error(path, "cannot read the symbolic link", e))?;
                p = match p.parent() {
                    Some(dir) if to.is_relative() => dir.join(to),
                    _ => to,
                };
            }
            _ => return Ok(p),
        }
    }
    Err(GmmError::Io {
        path: path.display().to_string(),
        reason: "too many levels of symbolic links".into(),
    })
}

enum Kind {
    /// A temporary file (random name, created with `O_EXCL`) beside the target, its path
    /// in [`IN_FLIGHT`] until it is moved into place or removed.
    Temp(tempfile::NamedTempFile),
    /// A target that exists and is not a regular file (`/dev/null`, a FIFO): written in
    /// place, never replaced.
    InPlace(fs::File),
}

/// An output file being written: the one implementation behind [`write_atomic`] and
/// `gmm_io::AtomicWriter`.
///
/// * A regular file (or a new one) is written into a temporary file with a random name,
///   created with `O_EXCL` in the target's directory (a link or FIFO planted under any
///   name is never followed), and renamed over the target by [`OutputFile::commit`]; an
///   existing file's permission mode is kept. Dropped without a commit, the temporary file
///   is removed.
/// * A symbolic link is followed: the file it points to is written, the link stays.
/// * A target that exists and is not a regular file nor a directory (a character device
///   such as `/dev/null`, a FIFO) is opened and written in place, never replaced.
/// * A directory is an error.
pub struct OutputFile {
    target: PathBuf,
    kind: Option<Kind>,
}

impl OutputFile {
    /// Starts the output file `path`.
    ///
    /// # Errors
    /// [`GmmError::Io`] naming `path` when it is not a file path, is a directory, or its
    /// directory is not writable.
    pub fn create(path: &Path) -> Result<Self> {
        if path.file_name().is_none() {
            return Err(GmmError::Io {
                path: path.display().to_string(),
                reason: "not a file path: give a file name".into(),
            });
        }
        let target = resolve_links(path)?;
        let existing = fs::metadata(&target).ok();
        if let Some(m) = &existing {
            if m.is_dir() {
                return Err(GmmError::Io {
                    path: path.display().to_string(),
                    reason: "is a directory: give a file name".into(),
                });
            }
            if !m.is_file() {
                let file = fs::OpenOptions::new()
                    .write(true)
                    .open(&target)
                    .map_err(|e| io_error(path, "cannot open the output for writing", e))?;
                return Ok(Self {
                    target,
                    kind: Some(Kind::InPlace(file)),
                });
            }
        }
        let dir = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = target
            .file_name()
            .ok_or_else(|| GmmError::Io {
                path: path.display().to_string(),
                reason: "not a file path: give a file name".into(),
            })?
            .to_string_lossy()
            .into_owned();
        let prefix = format!(".{name}.");
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).suffix(".tmp");
        #[cfg(unix)]
        {
            // a new file gets the mode File::create would give it (0666 less the umask)
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(fs::Permissions::from_mode(0o666));
        }
        let mut list = in_flight();
        let temp = builder.tempfile_in(&dir).map_err(|e| {
            io_error(
                path,
                "cannot create the output file; check that its directory exists and is writable",
                e,
            )
        })?;
        if let Some(m) = existing {
            #[cfg(unix)]
            {
                // the owner and group kept where this process may give them (root, or a
                // group it belongs to); elsewhere the file becomes the writer's, as a
                // rewrite by any editor does. Before the mode: chown clears set-id bits.
                use std::os::unix::fs::MetadataExt;
                let _ = std::os::unix::fs::fchown(temp.as_file(), Some(m.uid()), Some(m.gid()));
            }
            temp.as_file()
                .set_permissions(m.permissions())
                .map_err(|e| io_error(path, "cannot keep the file's permissions", e))?;
        }
        list.push(temp.path().to_path_buf());
        drop(list);
        Ok(Self {
            target,
            kind: Some(Kind::Temp(temp)),
        })
    }

    /// The path written: the target, or the file its symbolic link points to.
    pub fn path(&self) -> &Path {
        &self.target
    }

    /// Flushes the contents to disk and moves the file into place.
    ///
    /// # Errors
    /// [`GmmError::Io`] naming the target when writing or renaming fails (the temporary
    /// file is then removed).
    pub fn commit(mut self) -> Result<()> {
        match self.kind.take() {
            Some(Kind::InPlace(mut file)) => file
                .flush()
                .map_err(|e| io_error(&self.target, "cannot write the output file", e)),
            Some(Kind::Temp(temp)) => {
                let mut list = in_flight();
                let temp_path = temp.path().to_path_buf();
                list.retain(|p| *p != temp_path);
                temp.as_file()
                    .sync_all()
                    .map_err(|e| io_error(&self.target, "cannot write the output file", e))?;
                temp.persist(&self.target).map(drop).map_err(|e| {
                    io_error(&self.target, "cannot move the output into place", e.error)
                })
            }
            None => Ok(()),
        }
    }

    fn file(&mut self) -> &mut fs::File {
        match self
            .kind
            .as_mut()
            .expect("an uncommitted output has its file")
        {
            Kind::Temp(temp) => temp.as_file_mut(),
            Kind::InPlace(file) => file,
        }
    }
}

impl Write for OutputFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.file().write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file().flush()
    }
}

impl Drop for OutputFile {
    fn drop(&mut self) {
        if let Some(Kind::Temp(temp)) = self.kind.take() {
            let mut list = in_flight();
            let temp_path = temp.path().to_path_buf();
            list.retain(|p| *p != temp_path);
            drop(temp);
        }
    }
}

/// Writes `contents` to `path` atomically: first to a temporary file in the same directory,
/// flushed to disk, then renamed over `path` (see [`OutputFile`] for links, devices and
/// permissions). On any error the temporary file is removed and `path` is left as it was.
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
/// [`GmmError::Io`] naming the path when the directory does not exist or is not writable,
/// or the path is a directory.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<()> {
    let mut out = OutputFile::create(path)?;
    out.write_all(contents)
        .map_err(|e| io_error(path, "cannot write the output file", e))?;
    out.commit()
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

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("gmm-atomic-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn temporaries(dir: &Path) -> Vec<String> {
        fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp"))
            .collect()
    }

    #[cfg(unix)]
    #[test]
    fn atomic_planted_link_and_fifo_at_the_old_temporary_name_are_not_followed() {
        use std::os::unix::fs::FileTypeExt;
        let dir = scratch("planted");
        let pid = std::process::id();
        let victim = dir.join("victim.txt");
        fs::write(&victim, b"precious").unwrap();
        let link = dir.join(format!(".model.json.{pid}.tmp"));
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        let fifo = dir.join(format!(".labels.csv.{pid}.tmp"));
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        write_atomic(&dir.join("model.json"), b"model").unwrap();
        write_atomic(&dir.join("labels.csv"), b"labels").unwrap();
        assert_eq!(fs::read(dir.join("model.json")).unwrap(), b"model");
        assert_eq!(fs::read(dir.join("labels.csv")).unwrap(), b"labels");
        assert_eq!(fs::read(&victim).unwrap(), b"precious");
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
        assert_eq!(temporaries(&dir).len(), 2, "{:?}", temporaries(&dir));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn atomic_rewrite_keeps_the_owner_and_group() {
        use std::os::unix::fs::MetadataExt;
        let dir = scratch("owner");
        let target = dir.join("model.json");
        fs::write(&target, b"old").unwrap();
        // another user's file where this process may make one (root), else its own
        let _ = std::os::unix::fs::chown(&target, Some(1234), Some(5678));
        let before = fs::metadata(&target).unwrap();
        write_atomic(&target, b"new").unwrap();
        let after = fs::metadata(&target).unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"new");
        assert_eq!((after.uid(), after.gid()), (before.uid(), before.gid()));
        assert_ne!(after.ino(), before.ino(), "replaced by a new file");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn atomic_rewrite_keeps_the_permission_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = scratch("mode");
        let target = dir.join("model.json");
        fs::write(&target, b"old").unwrap();
        fs::set_permissions(&target, fs::Permissions::from_mode(0o600)).unwrap();
        write_atomic(&target, b"new").unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"new");
        let mode = fs::metadata(&target).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{mode:o}");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn atomic_device_is_written_in_place_and_a_directory_refused() {
        use std::os::unix::fs::FileTypeExt;
        write_atomic(Path::new("/dev/null"), b"discarded").unwrap();
        assert!(
            fs::metadata("/dev/null")
                .unwrap()
                .file_type()
                .is_char_device()
        );
        let dir = scratch("dir");
        let err = write_atomic(&dir, b"x").unwrap_err();
        assert!(err.to_string().contains("directory"), "{err}");
        assert!(dir.is_dir());
        assert!(temporaries(&dir).is_empty());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn atomic_symlink_target_is_written_and_the_link_kept() {
        let dir = scratch("link");
        fs::create_dir_all(dir.join("real")).unwrap();
        let real = dir.join("real").join("model.json");
        fs::write(&real, b"old").unwrap();
        let link = dir.join("model.json");
        std::os::unix::fs::symlink("real/model.json", &link).unwrap();
        write_atomic(&link, b"new").unwrap();
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read(&real).unwrap(), b"new");
        // a link to a file not there yet: the file is created, the link kept
        let dangling = dir.join("labels.csv");
        std::os::unix::fs::symlink("real/labels.csv", &dangling).unwrap();
        write_atomic(&dangling, b"0\n").unwrap();
        assert!(
            fs::symlink_metadata(&dangling)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(
            fs::read(dir.join("real").join("labels.csv")).unwrap(),
            b"0\n"
        );
        assert!(temporaries(&dir).is_empty() && temporaries(&dir.join("real")).is_empty());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn atomic_uncommitted_output_is_registered_then_removed() {
        let dir = scratch("registry");
        let mut out = OutputFile::create(&dir.join("out.csv")).unwrap();
        out.write_all(b"partial").unwrap();
        assert_eq!(temporaries(&dir).len(), 1);
        let temp = dir.join(&temporaries(&dir)[0]);
        assert!(in_flight().contains(&temp));
        drop(out);
        assert!(temporaries(&dir).is_empty());
        assert!(!in_flight().contains(&temp));
        assert!(!dir.join("out.csv").exists());
        fs::remove_dir_all(&dir).unwrap();
    }
}
