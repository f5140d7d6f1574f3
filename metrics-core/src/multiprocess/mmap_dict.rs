//! A file of keyed values, memory-mapped: Python's `mmap_dict.py`.
//!
//! The file starts with a native-endian `i32`, the bytes used (counting
//! this 8-byte header), and 4 bytes of padding. Each entry is an `i32`
//! key length, the key's UTF-8 bytes, 1 to 8 spaces (`8 - (len + 4) % 8`)
//! so that the values are 8-byte aligned, then an `f64` value and an `f64`
//! timestamp. The file starts at 64 KiB and doubles when full.

// The one module that maps memory: `memmap2`'s constructors are `unsafe`
// (see the SAFETY comment of `map`).
#![allow(unsafe_code)]

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

use memmap2::MmapMut;

use super::MultiprocessError;

/// The size of a new file, as Python's `_INITIAL_MMAP_SIZE`.
pub const INITIAL_SIZE: usize = 1 << 16;

const HEADER: usize = 8;

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
fn padding(len: usize) -> usize {
    8 - (len + 4) % 8
}

/// The bytes an entry of a key of `len` bytes takes.
fn entry_size(len: usize) -> usize {
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
fn used_of(path: &Path, data: &[u8]) -> Result<usize, MultiprocessError> {
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
fn entries(
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
    Ok(entries(path, &data, used)?
        .into_iter()
        .map(|(entry, _)| entry)
        .collect())
}

/// A file of keyed values of one process, mapped for writing: Python's
/// `MmapedDict`.
///
/// Writes go to the mapping: a value written is visible to readers of the
/// file at once, without a flush. One process writes a file (its pid is in
/// the name); others only read it with [`read_entries`]. Not thread-safe
/// by itself: writes take `&mut self`.
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
    path: PathBuf,
    file: File,
    map: MmapMut,
    used: usize,
    /// The offset of each key's value.
    positions: HashMap<String, usize>,
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
        let path = path.as_ref().to_path_buf();
        let io = |e| MultiprocessError::io(&path, e);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        let mut capacity = file.metadata().map_err(io)?.len();
        if capacity == 0 {
            file.set_len(INITIAL_SIZE as u64).map_err(io)?;
            capacity = INITIAL_SIZE as u64;
        }
        if capacity < HEADER as u64 {
            return Err(MultiprocessError::corrupt(
                &path,
                0,
                format!("{capacity} bytes, shorter than the 8-byte header"),
            ));
        }
        let map = map(&file).map_err(io)?;
        let mut dict = Self {
            path,
            file,
            map,
            used: HEADER,
            positions: HashMap::new(),
        };
        if read_i32(&dict.map, 0) == Some(0) {
            dict.write_used(HEADER)?;
        } else {
            let used = used_of(&dict.path, &dict.map)?;
            for (entry, at) in entries(&dict.path, &dict.map, used)? {
                dict.positions.insert(entry.key, at);
            }
            dict.used = used;
        }
        Ok(dict)
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
        &self.path
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
        self.used
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
        self.map.len()
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
        let at = *self.positions.get(key)?;
        Some((read_f64(&self.map, at)?, read_f64(&self.map, at + 8)?))
    }

    /// Writes the value and timestamp of `key`: in place if it has an
    /// entry, else in a new entry at the end (the file doubled and
    /// remapped when full), as Python's `write_value`.
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
        let at = match self.positions.get(key) {
            Some(at) => *at,
            None => self.add_entry(key)?,
        };
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&value.to_ne_bytes());
        bytes[8..].copy_from_slice(&timestamp.to_ne_bytes());
        self.map[at..at + 16].copy_from_slice(&bytes);
        Ok(())
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
        Ok(entries(&self.path, &self.map, self.used)?
            .into_iter()
            .map(|(entry, _)| entry)
            .collect())
    }

    /// Appends an entry for `key` (value and timestamp 0), growing the
    /// file as needed; returns the offset of its value.
    fn add_entry(&mut self, key: &str) -> Result<usize, MultiprocessError> {
        let len = key.len();
        let size = entry_size(len);
        let full = || MultiprocessError::Full {
            path: self.path.clone(),
            used: self.used,
            adding: size,
        };
        let (Ok(len_i32), Some(end)) = (i32::try_from(len), self.used.checked_add(size)) else {
            return Err(full());
        };
        if i32::try_from(end).is_err() {
            return Err(full());
        }
        if end > self.map.len() {
            let mut capacity = self.map.len();
            while end > capacity {
                capacity = capacity.checked_mul(2).ok_or_else(full)?;
            }
            let io = |e| MultiprocessError::io(&self.path, e);
            self.map.flush_async().map_err(io)?;
            self.file.set_len(capacity as u64).map_err(io)?;
            self.map = map(&self.file).map_err(io)?;
        }
        let start = self.used;
        let value_at = start + 4 + len + padding(len);
        self.map[start..start + 4].copy_from_slice(&len_i32.to_ne_bytes());
        self.map[start + 4..start + 4 + len].copy_from_slice(key.as_bytes());
        self.map[start + 4 + len..value_at].fill(b' ');
        self.map[value_at..end].fill(0);
        self.write_used(end)?;
        self.positions.insert(key.to_owned(), value_at);
        Ok(value_at)
    }

    fn write_used(&mut self, used: usize) -> Result<(), MultiprocessError> {
        let Ok(used_i32) = i32::try_from(used) else {
            return Err(MultiprocessError::Full {
                path: self.path.clone(),
                used: self.used,
                adding: used - self.used,
            });
        };
        self.map[..4].copy_from_slice(&used_i32.to_ne_bytes());
        self.used = used;
        Ok(())
    }
}

/// Maps the whole of `file` for reading and writing.
fn map(file: &File) -> std::io::Result<MmapMut> {
    // SAFETY: the mapping is undefined behaviour only if the file is
    // truncated, or written through another mapping, while it is mapped.
    // The file belongs to this process (its pid is in its name, as in
    // Python's layout), which only ever grows it; readers in other
    // processes read it with `read`, never map it for writing. The mapped
    // bytes are only ever copied in and out (`[u8]`, no references into
    // the file kept across calls), so a concurrent writer could at worst
    // produce torn values, never invalid Rust values.
    unsafe { MmapMut::map_mut(file) }
}
