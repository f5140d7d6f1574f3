//! A file of keyed values, memory-mapped: Python's `mmap_dict.py`.
//!
//! The file starts with a native-endian `i32`, the bytes used (counting
//! this 8-byte header), and 4 bytes of padding. Each entry is an `i32`
//! key length, the key's UTF-8 bytes, 1 to 8 spaces (`8 - (len + 4) % 8`)
//! so that the values are 8-byte aligned, then an `f64` value and an `f64`
//! timestamp. The file starts at 64 KiB and doubles when full.

use std::path::Path;

use super::mapped::MappedFile;
use super::MultiprocessError;

/// The size of a new file, as Python's `_INITIAL_MMAP_SIZE`.
pub const INITIAL_SIZE: usize = 1 << 16;

/// The bytes of the header: the `i32` used length and 4 of padding.
pub(super) const HEADER: usize = 8;

/// One entry of a file: its key's text, value and timestamp.
///
/// ```
/// use promscribe::multiprocess::Entry;
///
/// let entry = Entry { key: "k".to_owned(), value: 1.0, timestamp: 0.0 };
/// assert_eq!(entry.value, 1.0);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The key, as written (see [`parse_key`](super::parse_key)).
    pub key: String,
    /// The value.
    pub value: f64,
    /// The timestamp, seconds since the epoch (0 unless the gauge mode is
    /// `mostrecent` or `livemostrecent`).
    pub timestamp: f64,
}

/// The padding after a key of `len` bytes: 1 to 8 spaces.
pub(super) fn padding(len: usize) -> usize {
    8 - (len + 4) % 8
}

/// The bytes an entry of a key of `len` bytes takes.
pub(super) fn entry_size(len: usize) -> usize {
    4 + len + padding(len) + 16
}

fn read_i32(data: &[u8], at: usize) -> Option<i32> {
    let bytes: [u8; 4] = data.get(at..at + 4)?.try_into().ok()?;
    Some(i32::from_ne_bytes(bytes))
}

fn read_f64(data: &[u8], at: usize) -> Option<f64> {
    let bytes: [u8; 8] = data.get(at..at + 8)?.try_into().ok()?;
    Some(f64::from_ne_bytes(bytes))
}

/// The used length the header of `data` declares, checked against the
/// data's length.
pub(super) fn used_of(path: &Path, data: &[u8]) -> Result<usize, MultiprocessError> {
    let corrupt = |problem: String| MultiprocessError::corrupt(path, 0, problem);
    if data.is_empty() {
        return Err(corrupt("empty file".to_owned()));
    }
    let Some(used) = read_i32(data, 0) else {
        return Err(corrupt(format!(
            "{} bytes, shorter than the 8-byte header",
            data.len()
        )));
    };
    if data.len() < HEADER {
        return Err(corrupt(format!(
            "{} bytes, shorter than the 8-byte header",
            data.len()
        )));
    }
    // A file sized but whose header is not written yet (Python truncates
    // the file, then writes the header): no entries, as Python reads it.
    if used == 0 {
        return Ok(HEADER);
    }
    let Ok(used) = usize::try_from(used) else {
        return Err(corrupt(format!("negative used length {used}")));
    };
    if used < HEADER || used % 8 != 0 {
        return Err(corrupt(format!(
            "used length {used} is not a multiple of 8 of at least 8"
        )));
    }
    if used > data.len() {
        return Err(corrupt(format!(
            "used length {used} beyond the file's {} bytes (truncated?)",
            data.len()
        )));
    }
    Ok(used)
}

/// Every entry of `data[..used]`, with the offset of its value.
pub(super) fn parse_entries(
    path: &Path,
    data: &[u8],
    used: usize,
) -> Result<Vec<(Entry, usize)>, MultiprocessError> {
    let mut out = Vec::new();
    let mut pos = HEADER;
    while pos < used {
        let corrupt = |problem: String| MultiprocessError::corrupt(path, pos, problem);
        let len = read_i32(data, pos)
            .filter(|_| pos + 4 <= used)
            .ok_or_else(|| corrupt("entry header past the used length".to_owned()))?;
        let Ok(len) = usize::try_from(len) else {
            return Err(corrupt(format!("negative key length {len}")));
        };
        let end = pos
            .checked_add(entry_size(len))
            .filter(|end| *end <= used)
            .ok_or_else(|| {
                corrupt(format!(
                    "entry of a {len}-byte key runs past the used length {used}"
                ))
            })?;
        let key_at = pos + 4;
        let key = std::str::from_utf8(&data[key_at..key_at + len])
            .map_err(|e| {
                MultiprocessError::corrupt(
                    path,
                    key_at + e.valid_up_to(),
                    "key is not UTF-8".to_owned(),
                )
            })?
            .to_owned();
        let pad_at = key_at + len;
        let value_at = pad_at + padding(len);
        if let Some(i) = data[pad_at..value_at].iter().position(|b| *b != b' ') {
            return Err(MultiprocessError::corrupt(
                path,
                pad_at + i,
                format!("padding byte 0x{:02x}, not a space", data[pad_at + i]),
            ));
        }
        let (Some(value), Some(timestamp)) =
            (read_f64(data, value_at), read_f64(data, value_at + 8))
        else {
            return Err(corrupt("values past the end".to_owned()));
        };
        out.push((
            Entry {
                key,
                value,
                timestamp,
            },
            value_at,
        ));
        pos = end;
    }
    Ok(out)
}

/// Every entry of the file at `path`, read (not mapped) as Python's
/// `MmapedDict.read_all_values_from_file` reads it: what a collector
/// reads of the files of other processes.
///
/// A file that is empty, shorter than its header, shorter than its used
/// length, or not laid out as this format is refused with an error naming
/// the file and the offset of the problem.
///
/// ```
/// use promscribe::multiprocess::{read_entries, MmapDict};
///
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("counter_1.db");
/// let mut dict = MmapDict::open(&path).unwrap();
/// dict.write_value("k", 2.5, 0.0).unwrap();
/// let entries = read_entries(&path).unwrap();
/// assert_eq!(entries[0].key, "k");
/// assert_eq!(entries[0].value, 2.5);
///
/// std::fs::write(&path, b"").unwrap();
/// let err = read_entries(&path).unwrap_err();
/// assert!(err.to_string().contains("empty file"));
/// ```
pub fn read_entries(path: impl AsRef<Path>) -> Result<Vec<Entry>, MultiprocessError> {
    let path = path.as_ref();
    let data = std::fs::read(path).map_err(|e| MultiprocessError::io(path, e))?;
    let used = used_of(path, &data)?;
    Ok(parse_entries(path, &data, used)?
        .into_iter()
        .map(|(entry, _)| entry)
        .collect())
}

/// A file of keyed values, mapped for writing: Python's `MmapedDict`, for
/// tools and tests.
///
/// Writes go to the mapping: a value written is visible to readers of the
/// file at once, without a flush. Not thread-safe by itself: writes take
/// `&mut self`. It takes no lock and opens existing files (a file written
/// by Python, or left by an exited process): the recording path
/// ([`FileValue`](super::FileValue)) does neither, it only writes files
/// it created, locked while they are open.
///
/// ```
/// use promscribe::multiprocess::{encode_key, FileKind, MmapDict, SampleKey};
///
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join(FileKind::Counter.file_name(std::process::id()));
/// let mut dict = MmapDict::open(&path).unwrap();
/// let key = encode_key(&SampleKey::new("jobs", "jobs_total", &[], "Jobs."));
/// dict.write_value(&key, 1.0, 0.0).unwrap();
/// dict.write_value(&key, 2.0, 0.0).unwrap();
/// assert_eq!(dict.value(&key), Some((2.0, 0.0)));
/// assert_eq!(dict.entries().unwrap().len(), 1);
/// ```
#[derive(Debug)]
pub struct MmapDict {
    file: MappedFile,
}

impl MmapDict {
    /// Opens the file at `path` for writing, creating it (64 KiB) if it is
    /// missing or empty; the entries of an existing file are read, and a
    /// file not laid out as this format is refused with an error naming
    /// the file and the offset.
    ///
    /// ```
    /// use promscribe::multiprocess::MmapDict;
    ///
    /// let dir = tempfile::tempdir().unwrap();
    /// let path = dir.path().join("gauge_all_1.db");
    /// MmapDict::open(&path).unwrap().write_value("g", 3.0, 0.0).unwrap();
    /// assert_eq!(MmapDict::open(&path).unwrap().value("g"), Some((3.0, 0.0)));
    /// assert_eq!(std::fs::metadata(&path).unwrap().len(), 65536);
    /// ```
    pub fn open(path: impl AsRef<Path>) -> Result<Self, MultiprocessError> {
        Ok(Self {
            file: MappedFile::open(path.as_ref())?,
        })
    }

    /// The file's path.
    ///
    /// ```
    /// use promscribe::multiprocess::MmapDict;
    ///
    /// let dir = tempfile::tempdir().unwrap();
    /// let path = dir.path().join("summary_1.db");
    /// assert_eq!(MmapDict::open(&path).unwrap().path(), path);
    /// ```
    pub fn path(&self) -> &Path {
        self.file.path()
    }

    /// The bytes used, the 8-byte header included.
    ///
    /// ```
    /// use promscribe::multiprocess::MmapDict;
    ///
    /// let dir = tempfile::tempdir().unwrap();
    /// let mut dict = MmapDict::open(dir.path().join("counter_1.db")).unwrap();
    /// assert_eq!(dict.used(), 8);
    /// dict.write_value("abcd", 1.0, 0.0).unwrap();
    /// // Length, key, 8 spaces of padding (never 0), value, timestamp.
    /// assert_eq!(dict.used(), 8 + 4 + 4 + 8 + 16);
    /// ```
    pub fn used(&self) -> usize {
        self.file.used()
    }

    /// The file's size: 64 KiB, doubled each time it filled up.
    ///
    /// ```
    /// use promscribe::multiprocess::MmapDict;
    ///
    /// let dir = tempfile::tempdir().unwrap();
    /// let dict = MmapDict::open(dir.path().join("counter_1.db")).unwrap();
    /// assert_eq!(dict.capacity(), 65536);
    /// ```
    pub fn capacity(&self) -> usize {
        self.file.capacity()
    }

    /// The value and timestamp of `key`, if it has an entry.
    ///
    /// ```
    /// use promscribe::multiprocess::MmapDict;
    ///
    /// let dir = tempfile::tempdir().unwrap();
    /// let dict = MmapDict::open(dir.path().join("counter_1.db")).unwrap();
    /// assert_eq!(dict.value("missing"), None);
    /// ```
    pub fn value(&self, key: &str) -> Option<(f64, f64)> {
        self.file.read(self.file.offset(key)?).ok()
    }

    /// Writes the value and timestamp of `key`: in place if it has an
    /// entry, else in a new entry at the end (the file doubled and
    /// mapped again when full), as Python's `write_value`.
    ///
    /// ```
    /// use promscribe::multiprocess::MmapDict;
    ///
    /// let dir = tempfile::tempdir().unwrap();
    /// let mut dict = MmapDict::open(dir.path().join("gauge_mostrecent_1.db")).unwrap();
    /// dict.write_value("g", 1.0, 1700000000.5).unwrap();
    /// assert_eq!(dict.value("g"), Some((1.0, 1700000000.5)));
    /// ```
    pub fn write_value(
        &mut self,
        key: &str,
        value: f64,
        timestamp: f64,
    ) -> Result<(), MultiprocessError> {
        let at = match self.file.offset(key) {
            Some(at) => at,
            None => self.file.add_entry(key)?,
        };
        self.file.write(at, value, timestamp)
    }

    /// Every entry, in the order of the file.
    ///
    /// ```
    /// use promscribe::multiprocess::MmapDict;
    ///
    /// let dir = tempfile::tempdir().unwrap();
    /// let mut dict = MmapDict::open(dir.path().join("counter_1.db")).unwrap();
    /// dict.write_value("b", 1.0, 0.0).unwrap();
    /// dict.write_value("a", 2.0, 0.0).unwrap();
    /// let keys: Vec<_> = dict.entries().unwrap().into_iter().map(|e| e.key).collect();
    /// assert_eq!(keys, ["b", "a"]);
    /// ```
    pub fn entries(&self) -> Result<Vec<Entry>, MultiprocessError> {
        self.file.entries()
    }
}
