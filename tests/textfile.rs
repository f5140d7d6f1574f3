//! Textfiles read by a real node_exporter (`prometheus-node-exporter`)
//! with only its textfile collector, on 127.0.0.1, over a temporary
//! directory.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use promscribe::{Counter, Gauge, Histogram, Opts, Registry, Summary};
use promscribe_export::write_to_textfile;
use promscribe_test_support::{
    example_path, free_port, http_get, require_program, wait_until, Process,
};

struct NodeExporter {
    _process: Process,
    url: String,
}

fn start_node_exporter(dir: &Path, log: &Path) -> NodeExporter {
    let bin = require_program("prometheus-node-exporter");
    let port = free_port();
    let mut cmd = Command::new(bin);
    cmd.arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg(format!("--collector.textfile.directory={}", dir.display()))
        .args(["--collector.disable-defaults", "--collector.textfile"]);
    let process = Process::spawn_logged("node_exporter", &mut cmd, log);
    let url = format!("http://127.0.0.1:{port}/metrics");
    wait_until(Duration::from_secs(30), "node_exporter to answer", || {
        matches!(http_get(&url), Ok((200, _, _))).then_some(())
    });
    NodeExporter {
        _process: process,
        url,
    }
}

fn scrape(ne: &NodeExporter) -> String {
    let (status, _, body) = http_get(&ne.url).expect("scrape node_exporter");
    assert_eq!(status, 200, "{body}");
    body
}

type Series = BTreeMap<(String, Vec<(String, String)>), f64>;

/// The series of a text-format exposition: (name, sorted labels) -> value.
fn series(text: &str) -> Series {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(parse_line)
        .collect()
}

fn parse_line(line: &str) -> ((String, Vec<(String, String)>), f64) {
    let c: Vec<char> = line.chars().collect();
    let at = |i: usize| *c.get(i).unwrap_or_else(|| panic!("truncated line: {line}"));
    let mut i = 0;
    let mut name = String::new();
    while i < c.len() && c[i] != '{' && c[i] != ' ' {
        name.push(c[i]);
        i += 1;
    }
    let mut labels = Vec::new();
    if i < c.len() && c[i] == '{' {
        i += 1;
        loop {
            while at(i) == ',' || at(i) == ' ' {
                i += 1;
            }
            if at(i) == '}' {
                i += 1;
                break;
            }
            let mut key = String::new();
            while at(i) != '=' {
                key.push(at(i));
                i += 1;
            }
            assert_eq!(at(i + 1), '"', "{line}");
            i += 2;
            let mut value = String::new();
            while at(i) != '"' {
                if at(i) == '\\' {
                    i += 1;
                    value.push(if at(i) == 'n' { '\n' } else { at(i) });
                } else {
                    value.push(at(i));
                }
                i += 1;
            }
            i += 1;
            // node_exporter writes bucket bounds and quantiles as Go does
            // (`1`, not `1.0`): compare them as numbers.
            if key == "le" || key == "quantile" {
                if let Ok(v) = value.parse::<f64>() {
                    value = v.to_string();
                }
            }
            labels.push((key, value));
        }
    }
    let rest: String = c[i..].iter().collect();
    let value = match rest.split_whitespace().next() {
        Some("+Inf") => f64::INFINITY,
        Some("-Inf") => f64::NEG_INFINITY,
        Some(v) => v.parse().unwrap_or_else(|_| panic!("bad value in {line}")),
        None => panic!("no value in {line}"),
    };
    labels.sort();
    ((name, labels), value)
}

fn sample_registry() -> Registry {
    let r = Registry::new();
    let g = Gauge::new("raid_status", "1 if raid array is okay").expect("gauge");
    g.set(1.0);
    r.register(g).expect("registered");
    let c = Counter::new("cron_runs", "Runs of the cron job").expect("counter");
    c.inc_by(12.0).expect("inc");
    r.register(c).expect("registered");
    let fam = promscribe::Family::<Gauge, 2>::new(
        Opts::new("disk_free_bytes", "Free space").labels(["mount", "note"]),
    )
    .expect("family");
    fam.labels(["/", "root \"fs\""]).set(1.5e9);
    fam.labels(["/var/lib", "back\\slash"]).set(2048.0);
    r.register(fam).expect("registered");
    let h = Histogram::new("backup_seconds", "Backup time").expect("histogram");
    h.observe(0.3);
    h.observe(4.0);
    r.register(h).expect("registered");
    let s = Summary::new("upload_bytes", "Upload size").expect("summary");
    s.observe(100.0);
    r.register(s).expect("registered");
    r
}

#[test]
fn node_exporter_exposes_every_series_of_the_textfile() {
    let dir = tempfile::tempdir().expect("temp dir");
    let files = dir.path().join("textfiles");
    std::fs::create_dir(&files).expect("textfile dir");
    let registry = sample_registry();
    write_to_textfile(files.join("cron.prom"), &registry).expect("written");
    let written = std::fs::read_to_string(files.join("cron.prom")).expect("read back");
    assert_eq!(written, promscribe::encode_text(&registry));

    let ne = start_node_exporter(&files, &dir.path().join("ne.log"));
    let scraped = scrape(&ne);
    let exposed = series(&scraped);
    assert_eq!(
        exposed.get(&("node_textfile_scrape_error".to_owned(), vec![])),
        Some(&0.0),
        "{scraped}"
    );
    let in_file = series(&written);
    assert!(in_file.len() > 15, "{written}");
    for (key, value) in &in_file {
        assert_eq!(exposed.get(key), Some(value), "{key:?} in\n{scraped}");
    }
    assert!(
        exposed.contains_key(&(
            "node_textfile_mtime_seconds".to_owned(),
            vec![(
                "file".to_owned(),
                files.join("cron.prom").display().to_string()
            )]
        )) || exposed.contains_key(&(
            "node_textfile_mtime_seconds".to_owned(),
            vec![("file".to_owned(), "cron.prom".to_owned())]
        ))
    );
}

#[test]
fn a_scrape_never_sees_a_partial_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let files = dir.path().join("textfiles");
    std::fs::create_dir(&files).expect("textfile dir");
    // A large file, rewritten over and over while node_exporter reads it.
    let registry = Registry::new();
    let fam =
        promscribe::Family::<Gauge, 1>::new(Opts::new("big_series", "Many series").labels(["i"]))
            .expect("family");
    for i in 0..2000 {
        fam.labels([i.to_string()]).set(f64::from(i));
    }
    registry.register(fam).expect("registered");
    let path = files.join("big.prom");
    write_to_textfile(&path, &registry).expect("written");
    let ne = start_node_exporter(&files, &dir.path().join("ne.log"));

    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let stop = Arc::clone(&stop);
        let path = path.clone();
        std::thread::spawn(move || {
            let mut writes = 0;
            while !stop.load(Ordering::Relaxed) && writes < 2000 {
                write_to_textfile(&path, &registry).expect("rewritten");
                writes += 1;
            }
            writes
        })
    };
    for _ in 0..40 {
        let s = series(&scrape(&ne));
        assert_eq!(
            s.get(&("node_textfile_scrape_error".to_owned(), vec![])),
            Some(&0.0)
        );
        let n = s.keys().filter(|(name, _)| name == "big_series").count();
        assert_eq!(n, 2000, "a scrape saw a partial file");
    }
    stop.store(true, Ordering::Relaxed);
    let writes = writer.join().expect("writer");
    eprintln!("{writes} rewrites during 40 scrapes");
    // No temporary file is left behind.
    let names: Vec<_> = std::fs::read_dir(&files)
        .expect("list")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(names, ["big.prom"]);
}

#[test]
fn textfile_example_writes_raid_prom() {
    let dir = tempfile::tempdir().expect("temp dir");
    let by_env = dir.path().join("env");
    let by_flag = dir.path().join("flag");
    std::fs::create_dir(&by_env).expect("dir");
    std::fs::create_dir(&by_flag).expect("dir");

    let out = Command::new(example_path("textfile"))
        .env("TEXTFILE_DIR", &by_env)
        .output()
        .expect("run textfile");
    assert!(out.status.success(), "{out:?}");
    let out = Command::new(example_path("textfile"))
        .env_remove("TEXTFILE_DIR")
        .arg("--dir")
        .arg(&by_flag)
        .output()
        .expect("run textfile");
    assert!(out.status.success(), "{out:?}");
    let want =
        "# HELP raid_status 1 if raid array is okay\n# TYPE raid_status gauge\nraid_status 1.0\n";
    for d in [&by_env, &by_flag] {
        assert_eq!(
            std::fs::read_to_string(d.join("raid.prom")).expect("raid.prom"),
            want
        );
    }

    let ne = start_node_exporter(&by_env, &dir.path().join("ne.log"));
    let s = series(&scrape(&ne));
    assert_eq!(s.get(&("raid_status".to_owned(), vec![])), Some(&1.0));
    assert_eq!(
        s.get(&("node_textfile_scrape_error".to_owned(), vec![])),
        Some(&0.0)
    );

    // No directory: exit 2. A missing directory: exit 1, naming it.
    let out = Command::new(example_path("textfile"))
        .env_remove("TEXTFILE_DIR")
        .output()
        .expect("run textfile");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let missing = dir.path().join("missing");
    let out = Command::new(example_path("textfile"))
        .env("TEXTFILE_DIR", &missing)
        .output()
        .expect("run textfile");
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("missing"),
        "{out:?}"
    );
}

/// Names outside the legacy character set are written with underscores by
/// default, which node_exporter reads (1.5 refuses quoted names).
#[test]
fn node_exporter_reads_utf8_names_written_with_underscores() {
    let dir = tempfile::tempdir().expect("temp dir");
    let files = dir.path().join("textfiles");
    std::fs::create_dir(&files).expect("textfile dir");
    let r = Registry::new();
    let fam = promscribe::Family::<Gauge, 1>::new(
        Opts::new("raid.disks.ok", "Healthy disks").labels(["array.name"]),
    )
    .expect("family");
    fam.labels(["md0"]).set(3.0);
    r.register(fam).expect("registered");
    write_to_textfile(files.join("raid.prom"), &r).expect("written");
    let written = std::fs::read_to_string(files.join("raid.prom")).expect("read back");
    assert!(
        written.contains("raid_disks_ok{array_name=\"md0\"} 3.0\n"),
        "{written}"
    );

    let ne = start_node_exporter(&files, &dir.path().join("ne.log"));
    let scraped = scrape(&ne);
    let exposed = series(&scraped);
    assert_eq!(
        exposed.get(&("node_textfile_scrape_error".to_owned(), vec![])),
        Some(&0.0),
        "{scraped}"
    );
    assert_eq!(
        exposed.get(&(
            "raid_disks_ok".to_owned(),
            vec![("array_name".to_owned(), "md0".to_owned())]
        )),
        Some(&3.0),
        "{scraped}"
    );
}
