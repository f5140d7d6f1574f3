//! Writing the node_exporter textfile collector's `*.prom` files.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use promscribe::{encode_to, EncodeOptions, Format, Registry};

/// Writes `registry` in the text format to `path`, atomically, as Python's
/// `write_to_textfile`: the text goes to a temporary file in the same
/// directory (a short hidden name not ending in `.prom`, so the collector
/// ignores it, and any valid file name works for `path`; made of the
/// process id and a per-process counter and created exclusively, so
/// concurrent writers, in this process or others, never share one),
/// flushed to disk, then renamed over `path`, and the directory synced. A
/// reader, such as node_exporter's textfile collector, sees the old file
/// or one of the new ones whole, never a partial one. On error (or a
/// panic) the temporary file is removed. The file gets the permissions
/// [`File::create`] gives (0666 less the umask on Unix), as Python's.
///
/// Use a registry of its own (`Registry::new()`), as the default one also
/// holds process metrics.
///
/// ```
/// use promscribe::{Gauge, Registry};
/// let dir = std::env::temp_dir().join(format!("textfile-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
///
/// let registry = Registry::new();
/// let g = Gauge::new("raid_status", "1 if raid array is okay").unwrap();
/// registry.register(g.clone()).unwrap();
/// g.set(1.0);
/// promscribe_export::write_to_textfile(dir.join("raid.prom"), &registry)?;
///
/// let text = std::fs::read_to_string(dir.join("raid.prom"))?;
/// assert!(text.contains("raid_status 1.0"));
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// Names outside the legacy character set (`http.requests`) are written
/// with underscores (`http_requests`), which every node_exporter reads
/// (1.5 refuses a file with quoted names); [`write_to_textfile_with`]
/// writes them otherwise.
pub fn write_to_textfile(path: impl AsRef<Path>, registry: &Registry) -> io::Result<()> {
    write_to_textfile_with(path, registry, &EncodeOptions::default())
}

/// [`write_to_textfile`] with other encoder options: chiefly the
/// [`EscapingScheme`](promscribe::EscapingScheme) of names outside the
/// legacy character set, e.g. [`AllowUtf8`](promscribe::EscapingScheme::AllowUtf8)
/// to keep them as they are, quoted (`{"http.requests"} 1.0`), for a
/// node_exporter that reads UTF-8 names (built on a Prometheus 3 era
/// parser); `_created` series on or off. The file is written atomically
/// in the same way.
///
/// ```
/// use promscribe::{EncodeOptions, EscapingScheme, Gauge, Registry};
/// let dir = std::env::temp_dir().join(format!("textfile-with-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
///
/// let registry = Registry::new();
/// let g = Gauge::new("raid.status", "1 if raid array is okay").unwrap();
/// registry.register(g.clone()).unwrap();
/// g.set(1.0);
/// let utf8 = EncodeOptions::default().escaping(EscapingScheme::AllowUtf8);
/// promscribe_export::write_to_textfile_with(dir.join("raid.prom"), &registry, &utf8)?;
///
/// let text = std::fs::read_to_string(dir.join("raid.prom"))?;
/// assert!(text.contains("{\"raid.status\"} 1.0\n"), "{text}");
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn write_to_textfile_with(
    path: impl AsRef<Path>,
    registry: &Registry,
    options: &EncodeOptions,
) -> io::Result<()> {
    let path = path.as_ref();
    // Straight into the file, in chunks, as the registry is read.
    write_atomically(path, |file| {
        encode_to(file, registry, Format::Text, options)
    })
}

/// How many names [`create_temporary`] tries before giving up: each
/// `AlreadyExists` (a file left by a process that died with the same pid,
/// or a writer in another pid namespace sharing the directory) moves to
/// the next number.
const TEMPORARY_ATTEMPTS: u64 = 64;

/// The per-process counter that, with the process id, names temporary
/// files: two writers in one process never pick the same name.
static NEXT_TEMPORARY: AtomicU64 = AtomicU64::new(0);

/// A temporary file, removed when dropped unless it was renamed: every
/// failure (an error, a panic in the writer) leaves nothing behind.
struct Temporary {
    file: File,
    path: PathBuf,
    renamed: bool,
}

impl Temporary {
    /// Renames the file over `target`; from then on it is not removed.
    fn rename_over(mut self, target: &Path) -> io::Result<()> {
        fs::rename(&self.path, target)?;
        self.renamed = true;
        Ok(())
    }
}

impl Drop for Temporary {
    fn drop(&mut self) {
        if !self.renamed {
            // Nothing more can be done about a failure here: the error
            // that got us here is the one reported.
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Creates a new file in `dir`, the directory of `target`, named
/// `.promscribe.{pid}.{n}.tmp`, `n` taken from `counter`: short whatever
/// the target's name (a 255-byte target name still leaves room), hidden,
/// not ending in `.prom` (node_exporter's collector ignores it), and
/// created with `create_new`, so it is never another writer's file.
fn create_temporary(dir: &Path, target: &Path, counter: &AtomicU64) -> io::Result<Temporary> {
    let pid = std::process::id();
    for _ in 0..TEMPORARY_ATTEMPTS {
        let n = counter.fetch_add(1, Ordering::Relaxed);
        let path = dir.join(format!(".promscribe.{pid}.{n}.tmp"));
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(file) => {
                return Ok(Temporary {
                    file,
                    path,
                    renamed: false,
                })
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                return Err(io::Error::new(
                    e.kind(),
                    format!(
                        "cannot create a temporary file in {} to write {}: {e}",
                        dir.display(),
                        target.display()
                    ),
                ))
            }
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        format!(
            "cannot create a temporary file in {} to write {}: \
             {TEMPORARY_ATTEMPTS} names (.promscribe.{pid}.N.tmp) were taken",
            dir.display(),
            target.display()
        ),
    ))
}

/// Creates a temporary file beside `path`, lets `write` fill it, syncs it
/// and renames it over `path`, then syncs the directory.
fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut File) -> io::Result<()>,
) -> io::Result<()> {
    write_atomically_counting(path, &NEXT_TEMPORARY, write)
}

/// [`write_atomically`] with the counter that names the temporary file.
fn write_atomically_counting(
    path: &Path,
    counter: &AtomicU64,
    write: impl FnOnce(&mut File) -> io::Result<()>,
) -> io::Result<()> {
    if path.file_name().is_none() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("`{}` does not name a file", path.display()),
        ));
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    // Removed on drop until renamed: on an error, and on a panic in `write`.
    let mut tmp = create_temporary(dir, path, counter)?;
    let cannot_write =
        |e: io::Error| io::Error::new(e.kind(), format!("cannot write {}: {e}", path.display()));
    write(&mut tmp.file)
        .and_then(|()| tmp.file.sync_all())
        .map_err(cannot_write)?;
    tmp.rename_over(path).map_err(cannot_write)?;
    // The rename itself is durable once the directory is synced.
    File::open(dir).and_then(|d| d.sync_all()).map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("cannot sync the directory {}: {e}", dir.display()),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::io::Write;

    fn write_bytes(path: &Path, contents: &[u8]) -> io::Result<()> {
        write_atomically(path, |f| f.write_all(contents))
    }

    #[test]
    fn the_file_holds_the_text_exposition() {
        let dir = scratch("exposition");
        let registry = Registry::new();
        for i in 0..2_000 {
            let g = promscribe::Gauge::new(&format!("gauge_{i}"), "A gauge").expect("gauge");
            registry.register(g.clone()).expect("register");
            g.set(f64::from(i));
        }
        let path = dir.join("many.prom");
        write_to_textfile(&path, &registry).expect("written");
        let text = promscribe::encode_text(&registry);
        assert!(text.len() > 64 * 1024, "several chunks: {}", text.len());
        assert_eq!(fs::read_to_string(&path).expect("read"), text);
        fs::remove_dir_all(&dir).expect("cleanup");
    }

    /// A registry with a name and a label name outside the legacy set.
    fn utf8_registry() -> Registry {
        let registry = Registry::new();
        let fam = promscribe::Family::<promscribe::Gauge, 1>::new(
            promscribe::Opts::new("raid.status", "Raid health").labels(["array.name"]),
        )
        .expect("family");
        fam.labels(["md0"]).set(1.0);
        registry.register(fam).expect("register");
        registry
    }

    #[test]
    fn names_are_escaped_as_the_options_say() {
        use promscribe::EscapingScheme;
        let dir = scratch("escaping");
        let registry = utf8_registry();
        let path = dir.join("raid.prom");
        let written = |scheme: Option<EscapingScheme>| {
            match scheme {
                None => write_to_textfile(&path, &registry),
                Some(s) => {
                    write_to_textfile_with(&path, &registry, &EncodeOptions::default().escaping(s))
                }
            }
            .expect("written");
            fs::read_to_string(&path).expect("read")
        };
        let underscores = "# HELP raid_status Raid health\n\
                           # TYPE raid_status gauge\n\
                           raid_status{array_name=\"md0\"} 1.0\n";
        assert_eq!(written(None), underscores);
        assert_eq!(written(Some(EscapingScheme::Underscores)), underscores);
        assert_eq!(
            written(Some(EscapingScheme::AllowUtf8)),
            "# HELP \"raid.status\" Raid health\n\
             # TYPE \"raid.status\" gauge\n\
             {\"raid.status\",\"array.name\"=\"md0\"} 1.0\n"
        );
        assert_eq!(
            written(Some(EscapingScheme::Dots)),
            "# HELP raid_dot_status Raid health\n\
             # TYPE raid_dot_status gauge\n\
             raid_dot_status{array_dot_name=\"md0\"} 1.0\n"
        );
        fs::remove_dir_all(&dir).expect("cleanup");
    }

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "promscribe-export-textfile-{}-{name}",
            std::process::id()
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("scratch dir");
        dir
    }

    #[test]
    fn replaces_and_leaves_no_temp_file() {
        let dir = scratch("replace");
        let path = dir.join("a.prom");
        write_bytes(&path, b"one\n").expect("written");
        write_bytes(&path, b"two\n").expect("rewritten");
        assert_eq!(fs::read_to_string(&path).expect("read"), "two\n");
        let names: Vec<_> = fs::read_dir(&dir)
            .expect("list")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names, ["a.prom"]);
        fs::remove_dir_all(&dir).expect("cleanup");
    }

    #[test]
    fn failure_removes_the_temp_file() {
        let dir = scratch("fail");
        // Renaming a file over a non-empty directory fails.
        let path = dir.join("busy.prom");
        fs::create_dir_all(path.join("inside")).expect("blocking dir");
        let err = write_bytes(&path, b"x\n").expect_err("rename fails");
        assert!(err.to_string().contains("busy.prom"), "{err}");
        let names: Vec<_> = fs::read_dir(&dir)
            .expect("list")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names, ["busy.prom"]);
        fs::remove_dir_all(&dir).expect("cleanup");
    }

    #[test]
    fn any_valid_file_name_can_be_written() {
        let dir = scratch("long");
        // 255 bytes is the longest name Linux file systems take; the
        // temporary file's name must not grow with it.
        for len in [241, 250, 255] {
            let name = format!("{}.prom", "n".repeat(len - ".prom".len()));
            assert_eq!(name.len(), len);
            let path = dir.join(&name);
            for text in ["long 1.0\n", "long 2.0\n"] {
                write_bytes(&path, text.as_bytes())
                    .unwrap_or_else(|e| panic!("{len}-byte name: {e}"));
            }
            assert_eq!(fs::read_to_string(&path).expect("read"), "long 2.0\n");
            fs::remove_file(&path).expect("remove");
        }
        // A name of 255 bytes, most of them in two-byte characters.
        let name = format!("{}.prom", "é".repeat(125));
        assert_eq!(name.len(), 255);
        let path = dir.join(&name);
        write_bytes(&path, b"x 1.0\n").expect("multi-byte name");
        assert_eq!(fs::read_dir(&dir).expect("list").count(), 1);
        fs::remove_dir_all(&dir).expect("cleanup");
    }

    /// The names in `dir`, sorted.
    fn listing(dir: &Path) -> Vec<String> {
        let mut names: Vec<_> = fs::read_dir(dir)
            .expect("list")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_failing_writer_leaves_no_temp_file() {
        let dir = scratch("writer-fails");
        let path = dir.join("a.prom");
        write_bytes(&path, b"old\n").expect("written");
        let err = write_atomically(&path, |f| {
            f.write_all(b"half of it")?;
            Err(io::Error::other("the registry could not be read"))
        })
        .expect_err("the writer's error");
        assert!(err.to_string().contains("a.prom"), "{err}");
        assert!(err.to_string().contains("could not be read"), "{err}");
        assert_eq!(listing(&dir), ["a.prom"]);
        assert_eq!(fs::read_to_string(&path).expect("read"), "old\n");
        fs::remove_dir_all(&dir).expect("cleanup");
    }

    #[test]
    fn a_panicking_writer_leaves_no_temp_file() {
        let dir = scratch("writer-panics");
        let path = dir.join("a.prom");
        let panicked = std::panic::catch_unwind(|| {
            let _ = write_atomically(&path, |f| {
                f.write_all(b"half of it")?;
                panic!("a collector panicked");
            });
        });
        assert!(panicked.is_err());
        assert_eq!(listing(&dir), Vec::<String>::new());
        fs::remove_dir_all(&dir).expect("cleanup");
    }

    #[test]
    fn concurrent_writers_of_one_target_all_succeed() {
        let dir = scratch("concurrent");
        let path = dir.join("shared.prom");
        // Texts large enough to be written in many calls, so the writers
        // overlap.
        let texts: Vec<String> = ["a", "b"]
            .iter()
            .map(|v| format!("value {v}\n").repeat(20_000))
            .collect();
        for _ in 0..20 {
            let start = std::sync::Barrier::new(texts.len());
            std::thread::scope(|s| {
                let writers: Vec<_> = texts
                    .iter()
                    .map(|text| {
                        let (start, path) = (&start, &path);
                        s.spawn(move || {
                            start.wait();
                            write_atomically(path, |f| {
                                for chunk in text.as_bytes().chunks(4096) {
                                    f.write_all(chunk)?;
                                    std::thread::yield_now();
                                }
                                Ok(())
                            })
                        })
                    })
                    .collect();
                for w in writers {
                    w.join().expect("no panic").expect("every writer succeeds");
                }
            });
            let got = fs::read_to_string(&path).expect("read");
            assert!(
                texts.contains(&got),
                "a mix of the texts ({} bytes)",
                got.len()
            );
            assert_eq!(listing(&dir), ["shared.prom"]);
        }
        fs::remove_dir_all(&dir).expect("cleanup");
    }

    #[test]
    fn a_stale_temp_file_does_not_fail_the_write() {
        let dir = scratch("stale");
        let path = dir.join("a.prom");
        // Files left by an earlier process with this pid (killed mid-write)
        // under the next names this counter gives.
        let counter = AtomicU64::new(7);
        let pid = std::process::id();
        let stale: Vec<String> = (7..10)
            .map(|n| format!(".promscribe.{pid}.{n}.tmp"))
            .collect();
        for name in &stale {
            fs::write(dir.join(name), "stale").expect("stale file");
        }
        write_atomically_counting(&path, &counter, |f| f.write_all(b"fresh\n"))
            .expect("written beside the stale files");
        assert_eq!(fs::read_to_string(&path).expect("read"), "fresh\n");
        // The stale files are not ours to remove.
        let mut want = stale.clone();
        want.push("a.prom".to_owned());
        want.sort();
        assert_eq!(listing(&dir), want);
        fs::remove_dir_all(&dir).expect("cleanup");
    }

    #[test]
    fn names_all_taken_is_an_error_naming_the_path() {
        let dir = scratch("all-taken");
        let path = dir.join("a.prom");
        let pid = std::process::id();
        for n in 0..TEMPORARY_ATTEMPTS {
            fs::write(dir.join(format!(".promscribe.{pid}.{n}.tmp")), "").expect("file");
        }
        let err = write_atomically_counting(&path, &AtomicU64::new(0), |f| f.write_all(b"x"))
            .expect_err("no free name");
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert!(err.to_string().contains("a.prom"), "{err}");
        assert!(!path.exists());
        fs::remove_dir_all(&dir).expect("cleanup");
    }

    /// The file is as readable as one `File::create` makes (0666 less the
    /// umask), as Python's: node_exporter often runs as another user.
    #[cfg(unix)]
    #[test]
    fn the_file_gets_the_usual_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let dir = scratch("mode");
        let reference = dir.join("reference");
        File::create(&reference).expect("reference file");
        let path = dir.join("a.prom");
        write_bytes(&path, b"x 1.0\n").expect("written");
        let mode = |p: &Path| fs::metadata(p).expect("metadata").permissions().mode() & 0o777;
        assert_eq!(mode(&path), mode(&reference), "{:o}", mode(&path));
        fs::remove_dir_all(&dir).expect("cleanup");
    }

    #[test]
    fn missing_directory_is_an_error() {
        let err = write_bytes(Path::new("/nonexistent-dir-xyz/a.prom"), b"x")
            .expect_err("no such directory");
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        assert!(write_bytes(Path::new("/"), b"x").is_err());
    }
}
