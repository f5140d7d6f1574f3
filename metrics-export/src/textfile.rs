//! Writing the node_exporter textfile collector's `*.prom` files.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use promscribe::{encode_text, Registry};

/// Writes `registry` in the text format to `path`, atomically, as Python's
/// `write_to_textfile`: the text goes to a temporary file in the same
/// directory (a hidden name not ending in `.prom`, so the collector
/// ignores it), flushed to disk, then renamed over `path`. A reader, such
/// as node_exporter's textfile collector, sees the old file or the new
/// one, never a partial one. On error the temporary file is removed.
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
pub fn write_to_textfile(path: impl AsRef<Path>, registry: &Registry) -> io::Result<()> {
    let path = path.as_ref();
    let text = encode_text(registry);
    write_atomically(path, text.as_bytes())
}

fn write_atomically(path: &Path, contents: &[u8]) -> io::Result<()> {
    let name = path.file_name().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("`{}` does not name a file", path.display()),
        )
    })?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let (tmp, mut file) = loop {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let mut tmp_name = std::ffi::OsString::from(".");
        tmp_name.push(name);
        tmp_name.push(format!(".{}.{n}.tmp", std::process::id()));
        let tmp = dir.join(tmp_name);
        match OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(f) => break (tmp, f),
            // Left over by a crashed writer that had the same pid: next name.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                return Err(io::Error::new(
                    e.kind(),
                    format!("cannot create a temporary file in {}: {e}", dir.display()),
                ))
            }
        }
    };
    let result = file
        .write_all(contents)
        .and_then(|()| file.sync_all())
        .and_then(|()| {
            drop(file);
            fs::rename(&tmp, path)
        });
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(io::Error::new(
            e.kind(),
            format!("cannot write {}: {e}", path.display()),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
        write_atomically(&path, b"one\n").expect("written");
        write_atomically(&path, b"two\n").expect("rewritten");
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
        let err = write_atomically(&path, b"x\n").expect_err("rename fails");
        assert!(err.to_string().contains("busy.prom"), "{err}");
        let names: Vec<_> = fs::read_dir(&dir)
            .expect("list")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names, ["busy.prom"]);
        fs::remove_dir_all(&dir).expect("cleanup");
    }

    #[test]
    fn missing_directory_is_an_error() {
        let err = write_atomically(Path::new("/nonexistent-dir-xyz/a.prom"), b"x")
            .expect_err("no such directory");
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        assert!(write_atomically(Path::new("/"), b"x").is_err());
    }
}
