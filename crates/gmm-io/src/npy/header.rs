//! The header of a NumPy `.npy` file (format versions 1.0, 2.0 and 3.0): the magic string,
//! the version, the header length, and the Python dict literal with `descr`,
//! `fortran_order` and `shape`.
//!
//! Layout (NumPy's `numpy.lib.format`): `\x93NUMPY`, major and minor version bytes, the
//! header length (little-endian u16 in version 1, u32 in versions 2 and 3), then the header
//! text (ASCII in 1 and 2, UTF-8 in 3), padded with spaces and a newline so that the data
//! start at a multiple of 64 bytes.

use std::io::Read;

use gmm_core::{GmmError, Result};

/// The magic string that starts every `.npy` file.
pub(crate) const MAGIC: &[u8; 6] = b"\x93NUMPY";

/// The longest header read (NumPy's own limit is 10,000 bytes by default): a longer one is
/// an error, not an allocation.
pub(crate) const MAX_HEADER_LEN: usize = 1 << 20;

/// The type of the values in a `.npy` file that can be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NpyDtype {
    /// 64-bit floats (`<f8`).
    F64,
    /// 32-bit floats (`<f4`), widened to f64 exactly.
    F32,
}

impl NpyDtype {
    /// Bytes per value.
    pub fn size(self) -> usize {
        match self {
            Self::F64 => 8,
            Self::F32 => 4,
        }
    }

    /// The little-endian `descr` NumPy writes for it: `<f8` or `<f4`.
    pub fn descr(self) -> &'static str {
        match self {
            Self::F64 => "<f8",
            Self::F32 => "<f4",
        }
    }
}

/// What a `.npy` header says about the data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NpyHeader {
    /// The type of the values.
    pub dtype: NpyDtype,
    /// Whether the values are big-endian (`>f8`).
    pub big_endian: bool,
    /// Number of rows N.
    pub n_rows: u64,
    /// Number of columns D (1 for a 1-D array).
    pub n_columns: u64,
    /// Offset of the first value from the start of the file.
    pub data_offset: u64,
}

/// An error about the header of `path`.
pub(crate) fn header_error(path: &str, reason: String) -> GmmError {
    GmmError::BinaryFile {
        path: path.into(),
        place: "header".into(),
        reason,
    }
}

/// Reads and parses the header at the start of `reader`; `path` names the file in errors.
pub(crate) fn read_header<R: Read>(reader: &mut R, path: &str) -> Result<NpyHeader> {
    let not_npy = |what: &str| {
        header_error(
            path,
            format!(
                "{what}: this is not a NumPy .npy file (save arrays with numpy.save, or give \
                 a .csv or .parquet file)"
            ),
        )
    };
    let mut prefix = [0u8; 8];
    reader
        .read_exact(&mut prefix)
        .map_err(|_| not_npy("the file is shorter than the 8-byte magic string"))?;
    if &prefix[..6] != MAGIC {
        return Err(not_npy("the magic string \\x93NUMPY is missing"));
    }
    let major = prefix[6];
    let len_bytes = match major {
        1 => 2,
        2 | 3 => 4,
        _ => {
            return Err(header_error(
                path,
                format!(
                    "format version {major}.{} is unknown: versions 1.0, 2.0 and 3.0 can be \
                     read",
                    prefix[7]
                ),
            ));
        }
    };
    let mut len = [0u8; 4];
    reader
        .read_exact(&mut len[..len_bytes])
        .map_err(|_| header_error(path, "the file ends inside the header length".into()))?;
    let header_len = u32::from_le_bytes(len) as usize;
    if header_len > MAX_HEADER_LEN {
        return Err(header_error(
            path,
            format!(
                "the header claims {header_len} bytes, more than the {MAX_HEADER_LEN} allowed: \
                 the file is damaged"
            ),
        ));
    }
    let mut text = vec![0u8; header_len];
    reader.read_exact(&mut text).map_err(|_| {
        header_error(
            path,
            format!("the file ends inside the {header_len}-byte header: it is truncated"),
        )
    })?;
    let text = String::from_utf8(text)
        .map_err(|_| header_error(path, "the header is not text: the file is damaged".into()))?;
    let data_offset = (8 + len_bytes + header_len) as u64;
    parse_header_text(&text, path, data_offset)
}

/// A value of the header dict.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Str(String),
    Bool(bool),
    Tuple(Vec<u64>),
    /// Anything else, as written (a list of fields of a structured dtype, ...).
    Other(String),
}

/// Parses the dict literal `{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), }`.
fn parse_header_text(text: &str, path: &str, data_offset: u64) -> Result<NpyHeader> {
    let entries = DictParser { text, pos: 0 }
        .entries()
        .map_err(|why| header_error(path, format!("{why} in the header {:?}", text.trim())))?;
    // NumPy's reader keeps the last of two equal keys; a reader taking the first would read
    // another shape: refuse the ambiguity
    for (i, (key, _)) in entries.iter().enumerate() {
        if entries[..i].iter().any(|(k, _)| k == key) {
            return Err(header_error(
                path,
                format!(
                    "the header has the key {key:?} twice ({:?}): the file is damaged or was \
                     not written by NumPy; save the array again with numpy.save",
                    text.trim()
                ),
            ));
        }
    }
    let get = |key: &str| {
        entries
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
            .ok_or_else(|| {
                header_error(
                    path,
                    format!("the header has no {key:?} entry: the file is damaged"),
                )
            })
    };
    let (dtype, big_endian) = parse_descr(get("descr")?, path)?;
    let fortran = match get("fortran_order")? {
        Value::Bool(b) => *b,
        other => {
            return Err(header_error(
                path,
                format!("fortran_order is {other:?}, not True or False"),
            ));
        }
    };
    let (n_rows, n_columns) = match get("shape")? {
        Value::Tuple(dims) => match dims[..] {
            [n] => (n, 1),
            [n, d] => (n, d),
            _ => {
                return Err(header_error(
                    path,
                    format!(
                        "the array has {} dimensions {dims:?}: give a 2-D array (one point per \
                         row) or a 1-D array (one value per point)",
                        dims.len()
                    ),
                ));
            }
        },
        other => {
            return Err(header_error(
                path,
                format!("shape is {other:?}, not a tuple of integers"),
            ));
        }
    };
    if fortran && n_rows > 1 && n_columns > 1 {
        return Err(header_error(
            path,
            "the array is in Fortran (column-major) order: save it in C order, e.g. \
             numpy.save(path, numpy.ascontiguousarray(a))"
                .into(),
        ));
    }
    Ok(NpyHeader {
        dtype,
        big_endian,
        n_rows,
        n_columns,
        data_offset,
    })
}

/// The dtype of `descr`: f8 or f4 in either byte order (`=` and `|` mean this machine's).
fn parse_descr(descr: &Value, path: &str) -> Result<(NpyDtype, bool)> {
    let wrong = |shown: &str| {
        header_error(
            path,
            format!(
                "the dtype is {shown}, not 64- or 32-bit floats ('<f8', '<f4'): convert the \
                 array, e.g. numpy.save(path, a.astype('<f8'))"
            ),
        )
    };
    let text = match descr {
        Value::Str(s) => s.as_str(),
        Value::Other(raw) => return Err(wrong(raw)),
        other => return Err(wrong(&format!("{other:?}"))),
    };
    let (order, kind) = match text.chars().next() {
        Some(c @ ('<' | '>' | '=' | '|')) => (c, &text[1..]),
        _ => ('=', text),
    };
    let dtype = match kind {
        "f8" | "d" => NpyDtype::F64,
        "f4" | "f" => NpyDtype::F32,
        _ => return Err(wrong(&format!("'{text}'"))),
    };
    let big_endian = match order {
        '>' => true,
        '<' => false,
        _ => cfg!(target_endian = "big"),
    };
    Ok((dtype, big_endian))
}

/// A small parser of the Python dict literal NumPy writes.
struct DictParser<'t> {
    text: &'t str,
    pos: usize,
}

impl DictParser<'_> {
    fn rest(&self) -> &str {
        &self.text[self.pos..]
    }

    fn skip_space(&mut self) {
        let rest = self.rest();
        self.pos += rest.len() - rest.trim_start().len();
    }

    fn eat(&mut self, c: char) -> bool {
        self.skip_space();
        if self.rest().starts_with(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }

    fn entries(mut self) -> std::result::Result<Vec<(String, Value)>, String> {
        if !self.eat('{') {
            return Err("no opening '{'".into());
        }
        let mut entries = Vec::new();
        loop {
            if self.eat('}') {
                break;
            }
            let key = self.string()?;
            if !self.eat(':') {
                return Err(format!("no ':' after the key {key:?}"));
            }
            let value = self.value()?;
            entries.push((key, value));
            if !self.eat(',') && !self.rest().trim_start().starts_with('}') {
                return Err("entries not separated by ','".into());
            }
        }
        if !self.rest().trim().is_empty() {
            return Err("text after the closing '}'".into());
        }
        Ok(entries)
    }

    fn string(&mut self) -> std::result::Result<String, String> {
        self.skip_space();
        let quote = match self.rest().chars().next() {
            Some(q @ ('\'' | '"')) => q,
            _ => return Err("a key or value that is not a quoted string".into()),
        };
        let body = &self.rest()[1..];
        let end = body
            .find(quote)
            .ok_or_else(|| "an unterminated string".to_string())?;
        let s = body[..end].to_string();
        self.pos += end + 2;
        Ok(s)
    }

    fn value(&mut self) -> std::result::Result<Value, String> {
        self.skip_space();
        let rest = self.rest();
        if rest.starts_with('\'') || rest.starts_with('"') {
            return self.string().map(Value::Str);
        }
        for (word, b) in [("True", true), ("False", false)] {
            if rest.starts_with(word) {
                self.pos += word.len();
                return Ok(Value::Bool(b));
            }
        }
        if rest.starts_with('(') {
            return self.tuple();
        }
        Ok(Value::Other(self.raw_value()))
    }

    fn tuple(&mut self) -> std::result::Result<Value, String> {
        self.pos += 1;
        let mut dims = Vec::new();
        loop {
            if self.eat(')') {
                return Ok(Value::Tuple(dims));
            }
            self.skip_space();
            let digits = self.rest().len()
                - self
                    .rest()
                    .trim_start_matches(|c: char| c.is_ascii_digit())
                    .len();
            if digits == 0 {
                return Err("a shape that is not a tuple of non-negative integers".into());
            }
            let n: u64 = self.rest()[..digits]
                .parse()
                .map_err(|_| "a dimension too large".to_string())?;
            self.pos += digits;
            dims.push(n);
            if !self.eat(',') && !self.rest().trim_start().starts_with(')') {
                return Err("a shape whose dimensions are not separated by ','".into());
            }
        }
    }

    /// Text up to the next ',' or '}' outside brackets and quotes.
    fn raw_value(&mut self) -> String {
        let (mut depth, mut quote) = (0i32, None);
        let start = self.pos;
        for (i, c) in self.rest().char_indices() {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '\'' | '"') => quote = Some(c),
                (None, '[' | '(' | '{') => depth += 1,
                (None, ']' | ')') => depth -= 1,
                (None, ',' | '}') if depth <= 0 => {
                    self.pos = start + i;
                    return self.text[start..self.pos].trim().to_string();
                }
                _ => {}
            }
        }
        self.pos = self.text.len();
        self.text[start..].trim().to_string()
    }
}

/// The header bytes of a C-order array of `n_rows` x `n_columns` values of `dtype`
/// (little-endian), version 1.0 when the text fits in 65,535 bytes, padded to 64 bytes.
pub(crate) fn header_bytes(dtype: NpyDtype, n_rows: u64, n_columns: u64) -> Vec<u8> {
    let dict = format!(
        "{{'descr': '{}', 'fortran_order': False, 'shape': ({n_rows}, {n_columns}), }}",
        dtype.descr()
    );
    let mut out = MAGIC.to_vec();
    let unpadded = 10 + dict.len() + 1;
    let total = unpadded.div_ceil(64) * 64;
    let text_len = total - 10;
    out.extend_from_slice(&[1, 0]);
    out.extend_from_slice(&(text_len as u16).to_le_bytes());
    out.extend_from_slice(dict.as_bytes());
    out.resize(total - 1, b' ');
    out.push(b'\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<NpyHeader> {
        parse_header_text(text, "t.npy", 128)
    }

    #[test]
    fn numpy_headers_parse() {
        let h =
            parse("{'descr': '<f8', 'fortran_order': False, 'shape': (1000, 8), }   \n").unwrap();
        assert_eq!(
            (h.dtype, h.big_endian, h.n_rows, h.n_columns),
            (NpyDtype::F64, false, 1000, 8)
        );
        let h = parse("{\"shape\": (7,), \"fortran_order\": False, \"descr\": \">f4\"}").unwrap();
        assert_eq!(
            (h.dtype, h.big_endian, h.n_rows, h.n_columns),
            (NpyDtype::F32, true, 7, 1)
        );
        // a single column is the same in either order
        assert!(parse("{'descr': '<f8', 'fortran_order': True, 'shape': (5, 1), }").is_ok());
    }

    #[test]
    fn bad_headers_say_what_is_wrong() {
        let reason = |text: &str| match parse(text) {
            Err(GmmError::BinaryFile { place, reason, .. }) => {
                assert_eq!(place, "header");
                reason
            }
            other => panic!("{text}: {other:?}"),
        };
        assert!(
            reason("{'descr': '<i8', 'fortran_order': False, 'shape': (3, 2), }").contains("'<i8'")
        );
        let structured = reason(
            "{'descr': [('a', '<f8'), ('b', '<i4')], 'fortran_order': False, 'shape': (3,), }",
        );
        assert!(
            structured.contains("[('a', '<f8'), ('b', '<i4')]"),
            "{structured}"
        );
        assert!(
            reason("{'descr': '<f8', 'fortran_order': True, 'shape': (3, 2), }")
                .contains("Fortran")
        );
        assert!(
            reason("{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2, 2), }")
                .contains("3 dimensions")
        );
        assert!(
            reason("{'descr': '<f8', 'fortran_order': False, 'shape': (), }")
                .contains("0 dimensions")
        );
        assert!(reason("{'descr': '<f8', 'shape': (3, 2), }").contains("fortran_order"));
        assert!(
            reason("{'descr': '<f8', 'fortran_order': False, 'shape': (3, -2), }")
                .contains("shape")
        );
        assert!(reason("'descr': '<f8'").contains("opening"));
    }

    #[test]
    fn written_headers_read_back_and_align() {
        for (dtype, n, d) in [(NpyDtype::F64, 3, 2), (NpyDtype::F32, 123_456_789_012, 1)] {
            let bytes = header_bytes(dtype, n, d);
            assert_eq!(bytes.len() % 64, 0);
            let h = read_header(&mut bytes.as_slice(), "t").unwrap();
            assert_eq!((h.dtype, h.n_rows, h.n_columns), (dtype, n, d));
            assert_eq!(h.data_offset, bytes.len() as u64);
        }
    }
}
