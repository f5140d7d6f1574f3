//! The files of this process, mapped, their values updated in place as
//! atomics; the fork generation that tells a forked child that the
//! addresses it inherited are its parent's.
//!
//! - [`MappedFile`]: a file of the format of `mmap_dict.rs`, mapped with
//!   `memmap2::MmapRaw`. Its memory is only ever touched through atomics
//!   (`AtomicU64` values and timestamps, the `AtomicI32` used length) or
//!   by the kernel (`pwrite` of new entries, `pread` of the entries): never
//!   through a `&[u8]` or `&mut [u8]`, since other threads (and other
//!   processes) read and write it at the same time. A file grows by
//!   mapping it again, larger; the older mappings stay mapped as long as
//!   the file is open, so that an address handed out stays valid.
//! - A writer's file is created exclusively (a hidden temporary name,
//!   locked with `flock`, sized, published with `hard_link`, which fails
//!   if the name is taken: then `<kind>_<pid>-1.db`, `-2`, ...), and stays
//!   locked while it is open: the lock tells a compaction that its writer
//!   is alive. A writer never opens a file it did not create.
//! - [`ValueCell`]: one sample's value, its address cached after the first
//!   access together with the fork generation it was resolved in. An
//!   update is a generation check and an atomic operation on the mapping.
//! - The fork generation: a process-wide counter incremented in the child
//!   of every `fork` by a `pthread_atfork` handler, so that no update asks
//!   for the pid (a system call). In the child, the first resolution
//!   closes the parent's files (the child's copies of their descriptors
//!   and mappings) and creates the child's own.
//!
//! Entry creation, growth and file creation are serialised by one
//! process-wide lock, which the `pthread_atfork` handlers hold across a
//! `fork`, so that a child never inherits it locked.

// The one module with `unsafe` code: references to atomics in the shared
// mappings, and the libc calls (`pthread_atfork`, `posix_fallocate`).
#![allow(unsafe_code)]

use std::collections::HashMap;
use std::fmt;
use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI32, AtomicPtr, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use memmap2::MmapRaw;

use super::mmap_dict::{entry_size, padding, parse_entries, used_of, HEADER};
use super::{Entry, FileKind, GaugeMode, MultiprocessError, ProcessFiles, INITIAL_SIZE};

/// The fork generation of this process: 1, plus one for each `fork` in
/// its ancestry since the handler was registered. A process only ever
/// holds addresses stamped with its own generation or an ancestor's
/// (smaller) one, so an address stamped with the current generation was
/// resolved in this process.
static GENERATION: AtomicU64 = AtomicU64::new(1);

/// The current fork generation.
#[inline]
fn generation() -> u64 {
    // Relaxed: the generation only changes in a forked child, in the
    // `pthread_atfork` handler, before the child runs anything else on
    // its one thread; threads started later see it through their spawn.
    GENERATION.load(Ordering::Relaxed)
}

/// Serialises the slow paths of every [`FileTable`] of the process (file
/// creation, entry creation, growth). Held across `fork` by the
/// `pthread_atfork` handlers, so that it (and every table's mutex, only
/// ever taken under it) is unlocked in the child.
static RESOLVE: Mutex<()> = Mutex::new(());

fn resolve_lock() -> MutexGuard<'static, ()> {
    // A panic while it was held left nothing half-done that matters: each
    // step (a file created, an entry written, a mapping added) is complete
    // or absent.
    RESOLVE.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(unix)]
mod fork {
    use std::cell::RefCell;
    use std::sync::atomic::Ordering;
    use std::sync::{MutexGuard, OnceLock};

    use super::{resolve_lock, GENERATION};
    use crate::multiprocess::MultiprocessError;

    thread_local! {
        /// The resolve lock, held by the forking thread from the `prepare`
        /// handler to the `parent` or `child` one.
        static HELD: RefCell<Option<MutexGuard<'static, ()>>> = const { RefCell::new(None) };
    }

    extern "C" fn prepare() {
        let guard = resolve_lock();
        // `try_with` fails only while the thread's locals are destroyed:
        // the guard is then dropped at once, and the fork goes on
        // unprotected, as without the handler.
        let _ = HELD.try_with(|held| *held.borrow_mut() = Some(guard));
    }

    extern "C" fn parent() {
        let _ = HELD.try_with(|held| held.borrow_mut().take());
    }

    extern "C" fn child() {
        GENERATION.fetch_add(1, Ordering::Relaxed);
        // The child's copy of the lock, held by this thread (the child's
        // only one): unlocked.
        let _ = HELD.try_with(|held| held.borrow_mut().take());
    }

    /// Registers the handlers, once per process.
    pub(super) fn register() -> Result<(), MultiprocessError> {
        static REGISTERED: OnceLock<i32> = OnceLock::new();
        // SAFETY: `pthread_atfork` stores three function pointers; the
        // handlers are `extern "C"` functions that live as long as the
        // program, never unwind (a panic in an `extern "C"` function
        // aborts) and only touch an atomic, the resolve lock and a
        // thread-local.
        let rc = *REGISTERED.get_or_init(|| unsafe {
            libc::pthread_atfork(Some(prepare), Some(parent), Some(child))
        });
        if rc == 0 {
            Ok(())
        } else {
            Err(MultiprocessError::Unsupported {
                what: format!(
                    "recording without fork detection (pthread_atfork failed: {})",
                    std::io::Error::from_raw_os_error(rc)
                ),
            })
        }
    }
}

#[cfg(not(unix))]
mod fork {
    use crate::multiprocess::MultiprocessError;

    /// No `fork` here: nothing to detect.
    pub(super) fn register() -> Result<(), MultiprocessError> {
        Ok(())
    }
}

/// How many kinds of files a process writes: counter, histogram, summary
/// and the ten gauge modes.
const KINDS: usize = 13;

fn slot_of(kind: FileKind) -> usize {
    match kind {
        FileKind::Counter => 0,
        FileKind::Histogram => 1,
        FileKind::Summary => 2,
        FileKind::Gauge(mode) => {
            3 + GaugeMode::ALL
                .iter()
                .position(|m| *m == mode)
                .unwrap_or_default()
        }
    }
}

/// Extends `file` to `offset + len` bytes with its blocks allocated, so
/// that a full disk is an error here rather than a `SIGBUS` at the first
/// write through the mapping.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn allocate(file: &File, offset: usize, len: usize) -> io::Result<()> {
    use std::os::fd::AsRawFd;

    let (Ok(offset), Ok(len)) = (libc::off_t::try_from(offset), libc::off_t::try_from(len)) else {
        return Err(io::Error::from(io::ErrorKind::FileTooLarge));
    };
    loop {
        // SAFETY: `posix_fallocate` reads and writes no memory of ours;
        // the descriptor is open for the whole call (borrowed from
        // `file`).
        let rc = unsafe { libc::posix_fallocate(file.as_raw_fd(), offset, len) };
        match rc {
            0 => return Ok(()),
            libc::EINTR => continue,
            rc => return Err(io::Error::from_raw_os_error(rc)),
        }
    }
}

/// Extends `file` to `offset + len` bytes (sparse: a full disk shows at
/// the first write through the mapping, as in Python).
#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn allocate(file: &File, offset: usize, len: usize) -> io::Result<()> {
    let end = offset
        .checked_add(len)
        .ok_or_else(|| io::Error::from(io::ErrorKind::FileTooLarge))?;
    file.set_len(end as u64)
}

#[cfg(unix)]
fn read_exact_at(file: &File, buf: &mut [u8], offset: usize) -> io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset as u64)
}

#[cfg(unix)]
fn write_all_at(file: &File, buf: &[u8], offset: usize) -> io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(file, buf, offset as u64)
}

#[cfg(windows)]
fn read_exact_at(file: &File, mut buf: &mut [u8], mut offset: usize) -> io::Result<()> {
    use std::os::windows::fs::FileExt;
    while !buf.is_empty() {
        match file.seek_read(buf, offset as u64) {
            Ok(0) => return Err(io::Error::from(io::ErrorKind::UnexpectedEof)),
            Ok(n) => {
                buf = &mut buf[n..];
                offset += n;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[cfg(windows)]
fn write_all_at(file: &File, mut buf: &[u8], mut offset: usize) -> io::Result<()> {
    use std::os::windows::fs::FileExt;
    while !buf.is_empty() {
        match file.seek_write(buf, offset as u64) {
            Ok(0) => return Err(io::Error::from(io::ErrorKind::WriteZero)),
            Ok(n) => {
                buf = &buf[n..];
                offset += n;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[cfg(not(any(unix, windows)))]
fn read_exact_at(_: &File, _: &mut [u8], _: usize) -> io::Result<()> {
    Err(io::Error::from(io::ErrorKind::Unsupported))
}

#[cfg(not(any(unix, windows)))]
fn write_all_at(_: &File, _: &[u8], _: usize) -> io::Result<()> {
    Err(io::Error::from(io::ErrorKind::Unsupported))
}

/// A random suffix for a temporary name (the pid makes a forked child's
/// differ from its parent's, whose hasher keys it copied).
fn random_suffix() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    hasher.write_u32(std::process::id());
    if let Ok(now) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        hasher.write_u128(now.as_nanos());
    }
    hasher.finish()
}

/// A file of the multiprocess format, mapped. Every mapping made of it
/// (one more each time it grew) stays mapped until it is dropped.
pub(super) struct MappedFile {
    path: PathBuf,
    /// Open for reading and writing; for a writer's file, it holds the
    /// exclusive `flock` that says the writer is alive.
    file: File,
    /// Every mapping of the file, the newest (the whole file) last; never
    /// empty.
    maps: Vec<MmapRaw>,
    /// The bytes used, as the header says (this process is the file's
    /// only writer).
    used: usize,
    /// The offset of each key's value.
    positions: HashMap<String, usize>,
}

impl fmt::Debug for MappedFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MappedFile")
            .field("path", &self.path)
            .field("used", &self.used)
            .field("capacity", &self.capacity())
            .field("mappings", &self.maps.len())
            .finish_non_exhaustive()
    }
}

impl MappedFile {
    /// Creates this process's file of `kind` in `dir`, for the process
    /// `pid`, as the shared design says: a hidden temporary name
    /// (`.<kind>_<pid>.db.<random>`, which no collector reads), locked,
    /// sized to 64 KiB with its header, then published under
    /// `<kind>_<pid>.db` with `hard_link` (which fails if the name is
    /// taken: then `<kind>_<pid>-1.db`, `-2`, ...), and the temporary name
    /// removed. An existing file is never opened.
    pub(super) fn create(dir: &Path, kind: FileKind, pid: u32) -> Result<Self, MultiprocessError> {
        let name = kind.file_name(pid);
        let (temporary, file) = create_temporary(dir, &name)?;
        let created = Self::prepare_and_publish(dir, &name, &temporary, file);
        if let Err(e) = std::fs::remove_file(&temporary) {
            // Published or not, the hidden name is not read by collectors;
            // left behind, it is only clutter.
            tracing::warn!(
                path = %temporary.display(),
                error = %e,
                "multiprocess: could not remove a temporary file"
            );
        }
        created
    }

    fn prepare_and_publish(
        dir: &Path,
        name: &str,
        temporary: &Path,
        file: File,
    ) -> Result<Self, MultiprocessError> {
        let io = |e| MultiprocessError::io(temporary, e);
        file.lock().map_err(io)?;
        allocate(&file, 0, INITIAL_SIZE).map_err(io)?;
        let map = MmapRaw::map_raw(&file).map_err(io)?;
        let mut mapped = Self {
            path: temporary.to_path_buf(),
            file,
            maps: vec![map],
            used: HEADER,
            positions: HashMap::new(),
        };
        mapped.check_mapping()?;
        mapped.store_used(HEADER);
        mapped.path = publish(dir, name, temporary)?;
        Ok(mapped)
    }

    /// Opens the file at `path` for writing without a lock, creating it
    /// (64 KiB) if it is missing or empty; the entries of an existing file
    /// are read, and a file not laid out as the format is refused. For
    /// [`MmapDict`](super::MmapDict): tools and tests.
    pub(super) fn open(path: &Path) -> Result<Self, MultiprocessError> {
        let io = |e| MultiprocessError::io(path, e);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(io)?;
        let len = file.metadata().map_err(io)?.len();
        if len == 0 {
            allocate(&file, 0, INITIAL_SIZE).map_err(io)?;
        } else if len < HEADER as u64 {
            return Err(MultiprocessError::corrupt(
                path,
                0,
                format!("{len} bytes, shorter than the 8-byte header"),
            ));
        }
        let map = MmapRaw::map_raw(&file).map_err(io)?;
        let mut mapped = Self {
            path: path.to_path_buf(),
            file,
            maps: vec![map],
            used: HEADER,
            positions: HashMap::new(),
        };
        mapped.check_mapping()?;
        let mut data = vec![0; mapped.capacity()];
        read_exact_at(&mapped.file, &mut data, 0).map_err(io)?;
        if data[..4] == [0; 4] {
            // New, or sized but its header not yet written (as Python
            // leaves a file for an instant): no entries.
            mapped.store_used(HEADER);
        } else {
            let used = used_of(path, &data)?;
            for (entry, at) in parse_entries(path, &data, used)? {
                mapped.positions.insert(entry.key, at);
            }
            mapped.used = used;
        }
        Ok(mapped)
    }

    /// The newest mapping is at least a header long, and 8-aligned (a
    /// mapping starts on a page).
    fn check_mapping(&self) -> Result<(), MultiprocessError> {
        let map = self.newest();
        if map.len() < HEADER || !map.as_ptr().cast::<AtomicU64>().is_aligned() {
            return Err(MultiprocessError::corrupt(
                &self.path,
                0,
                format!(
                    "mapped {} bytes at {:p}: shorter than the header, or not 8-aligned",
                    map.len(),
                    map.as_ptr()
                ),
            ));
        }
        Ok(())
    }

    fn newest(&self) -> &MmapRaw {
        // Never empty: made with one mapping, only ever pushed to.
        &self.maps[self.maps.len() - 1]
    }

    /// The file's path.
    pub(super) fn path(&self) -> &Path {
        &self.path
    }

    /// The bytes used, the header included.
    pub(super) fn used(&self) -> usize {
        self.used
    }

    /// The file's size as mapped.
    pub(super) fn capacity(&self) -> usize {
        self.newest().len()
    }

    /// The offset of the value of `key`, if it has an entry.
    pub(super) fn offset(&self, key: &str) -> Option<usize> {
        self.positions.get(key).copied()
    }

    fn header(&self) -> &AtomicI32 {
        let ptr = self.newest().as_mut_ptr().cast::<AtomicI32>();
        // SAFETY: the mapping is at least 8 bytes long and starts on a page
        // (`check_mapping`), so its first 4 bytes are a valid, aligned
        // `AtomicI32`; it stays mapped while `self` (which owns it) is
        // borrowed. The bytes are only ever accessed as this atomic (no
        // `&`/`&mut` of another type covers them), by this process, and by
        // other processes that only read them.
        unsafe { &*ptr }
    }

    /// Publishes `used` bytes: the entries before it, written first, are
    /// visible to whoever reads the new length.
    fn store_used(&mut self, used: usize) {
        // `used` fits: `add_entry` checked it against `i32::MAX`.
        self.header()
            .store(i32::try_from(used).unwrap_or(i32::MAX), Ordering::Release);
        self.used = used;
    }

    /// The address of the value (then the timestamp) at `offset`, in the
    /// newest mapping.
    fn value_ptr(&self, offset: usize) -> Result<*mut AtomicU64, MultiprocessError> {
        let map = self.newest();
        let ptr = map.as_mut_ptr().wrapping_add(offset).cast::<AtomicU64>();
        if offset.checked_add(16).is_none_or(|end| end > map.len()) || !ptr.is_aligned() {
            return Err(MultiprocessError::corrupt(
                &self.path,
                offset,
                format!(
                    "a value at {offset} is not 8-aligned within the {} bytes mapped",
                    map.len()
                ),
            ));
        }
        Ok(ptr)
    }

    fn values(&self, offset: usize) -> Result<&[AtomicU64; 2], MultiprocessError> {
        let ptr = self.value_ptr(offset)?.cast::<[AtomicU64; 2]>();
        // SAFETY: `value_ptr` checked that the 16 bytes at `offset` lie in
        // the newest mapping and are 8-aligned; the mapping stays mapped
        // while `self` is borrowed. Values are only ever accessed as
        // atomics (no `&`/`&mut [u8]` covers the mapping).
        Ok(unsafe { &*ptr })
    }

    /// The value and timestamp at `offset` (an offset from
    /// [`offset`](Self::offset) or [`add_entry`](Self::add_entry)).
    pub(super) fn read(&self, offset: usize) -> Result<(f64, f64), MultiprocessError> {
        let [value, timestamp] = self.values(offset)?;
        Ok((
            f64::from_bits(value.load(Ordering::Relaxed)),
            f64::from_bits(timestamp.load(Ordering::Relaxed)),
        ))
    }

    /// Writes the value and timestamp at `offset`.
    pub(super) fn write(
        &self,
        offset: usize,
        value: f64,
        timestamp: f64,
    ) -> Result<(), MultiprocessError> {
        let [v, t] = self.values(offset)?;
        v.store(value.to_bits(), Ordering::Relaxed);
        t.store(timestamp.to_bits(), Ordering::Relaxed);
        Ok(())
    }

    /// Every entry, in the order of the file, read with `pread` (not
    /// through the mapping, which others update as atomics).
    pub(super) fn entries(&self) -> Result<Vec<Entry>, MultiprocessError> {
        let mut data = vec![0; self.used];
        read_exact_at(&self.file, &mut data, 0)
            .map_err(|e| MultiprocessError::io(&self.path, e))?;
        Ok(parse_entries(&self.path, &data, self.used)?
            .into_iter()
            .map(|(entry, _)| entry)
            .collect())
    }

    /// Appends an entry for `key` (value and timestamp 0), growing the
    /// file as needed: written with `pwrite` past the used length, then
    /// published by a release store of the new length. Returns the offset
    /// of its value.
    pub(super) fn add_entry(&mut self, key: &str) -> Result<usize, MultiprocessError> {
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
        if end > self.capacity() {
            let mut capacity = self.capacity();
            while end > capacity {
                capacity = capacity.checked_mul(2).ok_or_else(full)?;
            }
            self.grow(capacity)?;
        }
        let value_at = self.used + 4 + len + padding(len);
        let mut entry = Vec::with_capacity(size);
        entry.extend_from_slice(&len_i32.to_ne_bytes());
        entry.extend_from_slice(key.as_bytes());
        entry.resize(value_at - self.used, b' ');
        entry.resize(size, 0);
        write_all_at(&self.file, &entry, self.used)
            .map_err(|e| MultiprocessError::io(&self.path, e))?;
        self.store_used(end);
        self.positions.insert(key.to_owned(), value_at);
        Ok(value_at)
    }

    /// Extends the file to `capacity` bytes and maps it again, whole; the
    /// older mappings stay (addresses in them were handed out).
    fn grow(&mut self, capacity: usize) -> Result<(), MultiprocessError> {
        let io = |e| MultiprocessError::io(&self.path, e);
        let old = self.capacity();
        allocate(&self.file, old, capacity - old).map_err(io)?;
        let map = MmapRaw::map_raw(&self.file).map_err(io)?;
        if map.len() < capacity {
            return Err(MultiprocessError::corrupt(
                &self.path,
                map.len(),
                format!("grown to {capacity} bytes, but {} mapped", map.len()),
            ));
        }
        self.maps.push(map);
        self.check_mapping()
    }
}

/// Creates `.<name>.<random>` in `dir`, exclusively.
fn create_temporary(dir: &Path, name: &str) -> Result<(PathBuf, File), MultiprocessError> {
    let mut last = None;
    for _ in 0..16 {
        let path = dir.join(format!(".{name}.{:016x}", random_suffix()));
        match OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(file) => return Ok((path, file)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some((path, e)),
            Err(e) => return Err(MultiprocessError::io(&path, e)),
        }
    }
    let (path, e) = last.unwrap_or_else(|| (dir.join(name), io::ErrorKind::AlreadyExists.into()));
    Err(MultiprocessError::io(&path, e))
}

/// Links `temporary` as `name` in `dir`, or as the first free name of
/// `<stem>-1.db`, `<stem>-2.db`, ...; returns the name taken.
fn publish(dir: &Path, name: &str, temporary: &Path) -> Result<PathBuf, MultiprocessError> {
    let stem = name.strip_suffix(".db").unwrap_or(name);
    for n in 0..u32::MAX {
        let path = if n == 0 {
            dir.join(name)
        } else {
            dir.join(format!("{stem}-{n}.db"))
        };
        match std::fs::hard_link(temporary, &path) {
            Ok(()) => return Ok(path),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(MultiprocessError::io(&path, e)),
        }
    }
    Err(MultiprocessError::io(
        &dir.join(name),
        io::Error::new(io::ErrorKind::AlreadyExists, "every suffix is taken"),
    ))
}

/// The files a process writes (one per [`FileKind`]), for the fork
/// generation they were created in.
#[derive(Debug)]
pub(super) struct FileTable {
    /// Only ever locked under the resolve lock (so never held across a
    /// `fork`, whose handlers hold that lock).
    state: Mutex<TableState>,
}

#[derive(Debug)]
struct TableState {
    /// The generation the files were created in; 0 before the first.
    generation: u64,
    files: [Option<MappedFile>; KINDS],
}

impl FileTable {
    pub(super) fn new() -> Self {
        Self {
            state: Mutex::new(TableState {
                generation: 0,
                files: std::array::from_fn(|_| None),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, TableState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The path of this process's file of `kind`, if it was created (since
    /// the last fork).
    pub(super) fn path(&self, kind: FileKind) -> Option<PathBuf> {
        let _resolving = resolve_lock();
        let state = self.lock();
        if state.generation != generation() {
            return None;
        }
        state.files[slot_of(kind)]
            .as_ref()
            .map(|file| file.path().to_path_buf())
    }

    /// The address of the value of `key` in this process's file of
    /// `kind`, created (file and entry) if missing; and the generation it
    /// belongs to.
    fn resolve(
        &self,
        files: &ProcessFiles,
        kind: FileKind,
        key: &str,
    ) -> Result<(*mut AtomicU64, u64), MultiprocessError> {
        fork::register()?;
        let _resolving = resolve_lock();
        // Read under the lock: a fork (which holds it) cannot change it
        // until the lock is released.
        let generation = generation();
        let mut state = self.lock();
        if state.generation != generation {
            // The first resolution, or the first in a child since a fork:
            // the parent's files are closed and unmapped in the child (its
            // copies; the parent keeps its own, and its locks, since the
            // child never unlocks). Every address into them carries an
            // older generation, so none is used again.
            state.files = std::array::from_fn(|_| None);
            state.generation = generation;
        }
        let file = match &mut state.files[slot_of(kind)] {
            Some(file) => file,
            empty => empty.insert(MappedFile::create(files.dir(), kind, files.pid())?),
        };
        let offset = match file.offset(key) {
            Some(offset) => offset,
            None => file.add_entry(key)?,
        };
        Ok((file.value_ptr(offset)?, generation))
    }
}

/// One sample's value in this process's file of its kind: the address of
/// its value in the mapping, cached with the fork generation it was
/// resolved in.
pub(super) struct ValueCell {
    files: Arc<ProcessFiles>,
    kind: FileKind,
    key: String,
    /// The generation `slot` was resolved in; 0: not yet.
    generation: AtomicU64,
    /// The value's address (the timestamp follows it), valid in
    /// `generation`.
    slot: AtomicPtr<AtomicU64>,
}

impl fmt::Debug for ValueCell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ValueCell")
            .field("kind", &self.kind)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

impl Clone for ValueCell {
    fn clone(&self) -> Self {
        // The generation first (acquire): if it is not 0, the address
        // stored before it is the one for it.
        let generation = self.generation.load(Ordering::Acquire);
        Self {
            files: Arc::clone(&self.files),
            kind: self.kind,
            key: self.key.clone(),
            generation: AtomicU64::new(generation),
            slot: AtomicPtr::new(self.slot.load(Ordering::Relaxed)),
        }
    }
}

impl ValueCell {
    pub(super) fn new(files: Arc<ProcessFiles>, kind: FileKind, key: String) -> Self {
        Self {
            files,
            kind,
            key,
            generation: AtomicU64::new(0),
            slot: AtomicPtr::new(std::ptr::null_mut()),
        }
    }

    pub(super) fn kind(&self) -> FileKind {
        self.kind
    }

    pub(super) fn key(&self) -> &str {
        &self.key
    }

    pub(super) fn files(&self) -> &Arc<ProcessFiles> {
        &self.files
    }

    /// The value and timestamp.
    #[inline]
    fn slot(&self) -> Result<&[AtomicU64; 2], MultiprocessError> {
        let ptr = if self.generation.load(Ordering::Acquire) == generation() {
            self.slot.load(Ordering::Relaxed)
        } else {
            self.resolve()?
        };
        // SAFETY: `ptr` was resolved by `FileTable::resolve` of
        // `self.files` in the current fork generation (the stamp matched,
        // and the acquire load of the stamp makes the address stored before
        // it visible; or `resolve` just returned it): it points to 16
        // bytes, 8-aligned, inside a mapping of one of the table's files.
        // That mapping stays mapped while the table holds the file: the
        // table only drops its files when it is dropped (impossible while
        // `self` holds an `Arc` of it) or at the first resolution in a new
        // generation, i.e. in a forked child, where every address into the
        // old files carries the parent's generation and is refused above.
        // No reference returned here outlives a fork: it is borrowed for
        // one update, which neither forks nor runs user code. The mapping
        // is only ever accessed through atomics (or by the kernel), so the
        // shared reference aliases no `&`/`&mut` of another type.
        Ok(unsafe { &*ptr.cast::<[AtomicU64; 2]>() })
    }

    #[cold]
    #[inline(never)]
    fn resolve(&self) -> Result<*mut AtomicU64, MultiprocessError> {
        let (ptr, generation) = self
            .files
            .table()
            .resolve(&self.files, self.kind, &self.key)?;
        self.slot.store(ptr, Ordering::Relaxed);
        self.generation.store(generation, Ordering::Release);
        Ok(ptr)
    }

    /// Adds `amount` to the value: a compare-exchange loop on its bits.
    #[inline]
    pub(super) fn add(&self, amount: f64) -> Result<(), MultiprocessError> {
        let [value, _] = self.slot()?;
        let mut current = value.load(Ordering::Relaxed);
        loop {
            let new = (f64::from_bits(current) + amount).to_bits();
            match value.compare_exchange_weak(current, new, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => return Ok(()),
                Err(actual) => current = actual,
            }
        }
    }

    /// Stores the value, then the timestamp.
    #[inline]
    pub(super) fn set(&self, value: f64, timestamp: f64) -> Result<(), MultiprocessError> {
        let [v, t] = self.slot()?;
        v.store(value.to_bits(), Ordering::Relaxed);
        t.store(timestamp.to_bits(), Ordering::Relaxed);
        Ok(())
    }

    /// The value.
    #[inline]
    pub(super) fn get(&self) -> Result<f64, MultiprocessError> {
        let [value, _] = self.slot()?;
        Ok(f64::from_bits(value.load(Ordering::Relaxed)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_own_slot() {
        let mut kinds = vec![FileKind::Counter, FileKind::Histogram, FileKind::Summary];
        kinds.extend(GaugeMode::ALL.map(FileKind::Gauge));
        let mut slots: Vec<usize> = kinds.into_iter().map(slot_of).collect();
        slots.sort_unstable();
        assert_eq!(slots, (0..KINDS).collect::<Vec<_>>());
    }

    fn cached(cell: &ValueCell) -> usize {
        cell.slot.load(Ordering::Relaxed) as usize
    }

    /// The mappings of the counter file: (start, length) of each.
    fn mappings(files: &ProcessFiles) -> Vec<(usize, usize)> {
        let _resolving = resolve_lock();
        let state = files.table().lock();
        state.files[slot_of(FileKind::Counter)]
            .as_ref()
            .expect("the counter file was created")
            .maps
            .iter()
            .map(|m| (m.as_ptr() as usize, m.len()))
            .collect()
    }

    #[test]
    fn an_address_cached_before_growth_still_reads_and_writes_the_value() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let files = Arc::new(ProcessFiles::new(dir.path()));
        let cell =
            |key: &str| ValueCell::new(Arc::clone(&files), FileKind::Counter, key.to_owned());
        let early = cell("early");
        early.add(1.0).expect("written");
        let early_address = cached(&early);
        let first = mappings(&files)[0];
        assert!((first.0..first.0 + first.1).contains(&early_address));

        // Grow the file three times (64 KiB to 512 KiB).
        let mut i = 0;
        while mappings(&files).last().expect("a mapping").1 < 8 * INITIAL_SIZE {
            cell(&format!("filler-{i:08}")).add(1.0).expect("written");
            i += 1;
        }
        assert_eq!(mappings(&files).len(), 4);

        // A cell resolved now reaches the same value through the newest
        // mapping; the early one still goes through the first.
        let late = cell("early");
        late.add(2.0).expect("written");
        let newest = *mappings(&files).last().expect("a mapping");
        assert!((newest.0..newest.0 + newest.1).contains(&cached(&late)));
        assert_ne!(cached(&late), early_address);

        early.add(4.0).expect("written");
        assert_eq!(cached(&early), early_address, "not resolved again");
        assert_eq!(early.get().expect("read"), 7.0);
        assert_eq!(late.get().expect("read"), 7.0);
        let path = files.file_path(FileKind::Counter).expect("created");
        let entries = super::super::read_entries(&path).expect("readable");
        assert_eq!(entries.len(), i + 1);
        assert_eq!(entries[0].key, "early");
        assert_eq!(entries[0].value, 7.0);
    }
}
