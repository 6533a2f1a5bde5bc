//! Where `predict`, `score` and `sample` write: standard output, or a file (`-o FILE`) that
//! appears only when complete.

use std::io::Write;
use std::path::Path;

use gmm_core::{GmmError, Result};
use gmm_io::AtomicWriter;

use crate::args::STDOUT;

/// An output written piece by piece: standard output (a closed pipe, as in
/// `gmm predict ... | head`, is not an error: the rest is dropped), or a file moved into
/// place by [`Sink::finish`] (dropped unfinished, it leaves nothing behind).
pub enum Sink {
    /// Standard output; `true` once the reader has closed the pipe.
    Stdout(bool),
    /// A file being written.
    File(AtomicWriter),
}

impl Sink {
    /// Standard output for `-`, else the file `path`.
    pub fn to(path: &Path) -> Result<Self> {
        if path.as_os_str() == STDOUT {
            Ok(Self::Stdout(false))
        } else {
            AtomicWriter::create(path).map(Self::File)
        }
    }

    /// Appends `text`.
    pub fn write(&mut self, text: &str) -> Result<()> {
        match self {
            Self::Stdout(true) => Ok(()),
            Self::Stdout(closed) => {
                let mut out = std::io::stdout().lock();
                match out.write_all(text.as_bytes()) {
                    Ok(()) => Ok(()),
                    Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                        *closed = true;
                        Ok(())
                    }
                    Err(e) => Err(io_error(STDOUT, &e)),
                }
            }
            Self::File(file) => file
                .write_all(text.as_bytes())
                .map_err(|e| io_error(&file.path().display().to_string(), &e)),
        }
    }

    /// Flushes standard output, or moves the file into place.
    pub fn finish(self) -> Result<()> {
        match self {
            Self::Stdout(true) => Ok(()),
            Self::Stdout(false) => match std::io::stdout().lock().flush() {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(io_error(STDOUT, &e)),
                _ => Ok(()),
            },
            Self::File(file) => file.commit(),
        }
    }
}

fn io_error(path: &str, e: &std::io::Error) -> GmmError {
    let path = if path == STDOUT { "<stdout>" } else { path };
    GmmError::Io {
        path: path.into(),
        reason: format!("cannot write the output ({e})"),
    }
}
