//! Writing the node_exporter textfile collector's `*.prom` files.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use promscribe::{encode_to, EncodeOptions, Format, Registry};

/// Writes `registry` in the text format to `path`, atomically, as Python's
/// `write_to_textfile`: the text goes to a temporary file in the same
/// directory (a short hidden name not ending in `.prom`, so the collector
/// ignores it, and any valid file name works for `path`), flushed to disk,
/// then renamed over `path`, and the directory synced. A reader, such
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
    // Straight into the file, in chunks, as the registry is read.
    write_atomically(path, |file| {
        encode_to(file, registry, Format::Text, &EncodeOptions::default())
    })
}

/// Creates a temporary file beside `path`, lets `write` fill it, syncs it
/// and renames it over `path`.
fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut File) -> io::Result<()>,
) -> io::Result<()> {
    if path.file_name().is_none() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("`{}` does not name a file", path.display()),
        ));
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    // A short random name (`.tmpXXXXXX`), whatever the length of the
    // target's name; hidden and not ending in `.prom`. Removed on drop
    // until persisted.
    let mut tmp = tempfile::Builder::new()
        .prefix(".tmp")
        .tempfile_in(&dir)
        .map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("cannot create a temporary file in {}: {e}", dir.display()),
            )
        })?;
    let cannot_write =
        |e: io::Error| io::Error::new(e.kind(), format!("cannot write {}: {e}", path.display()));
    write(tmp.as_file_mut())
        .and_then(|()| tmp.as_file().sync_all())
        .map_err(cannot_write)?;
    // On failure the temporary file comes back in the error and is
    // removed when that is dropped.
    tmp.persist(path).map_err(|e| cannot_write(e.error))?;
    // The rename itself is durable once the directory is synced.
    File::open(&dir).and_then(|d| d.sync_all()).map_err(|e| {
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

    #[test]
    fn missing_directory_is_an_error() {
        let err = write_bytes(Path::new("/nonexistent-dir-xyz/a.prom"), b"x")
            .expect_err("no such directory");
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        assert!(write_bytes(Path::new("/"), b"x").is_err());
    }
}
