//! NumPy `.npy` files: read as a stream of batches ([`NpyFile`]) and written in blocks of
//! rows ([`NpyWriter`]). The header parser is ours (no dependency).

mod header;
mod reader;
mod writer;

pub use header::NpyDtype;
pub use reader::NpyFile;
pub use writer::NpyWriter;
