//! Encoding into any [`io::Write`]: a file, a socket, a pipe, a
//! compressor. The text formats are written family by family through a
//! buffer that is handed to the writer in chunks between families, so at
//! most about one family (plus a chunk) is held in memory, and no
//! family's lock is held while the writer runs. The bytes are the same as
//! [`encode_bytes`](super::encode_bytes)'.

use std::fmt;
use std::io;

use super::{EncodeOptions, Format};
use super::{FamilyRef, Scratch};
use crate::model::MetricFamily;
use crate::registry::Registry;

/// The buffer is handed to the writer once it holds this many bytes (at
/// the end of a family).
const CHUNK: usize = 32 * 1024;

/// Encodes everything in `registry` in `format` into `out`, then flushes
/// `out`. Every format is accepted, the binary ones included.
///
/// The text formats are written in chunks of about 32 KiB as the registry
/// is read (one family at a time: a family larger than that is written
/// whole after it has been read, never while its lock is held). The
/// protobuf format checks every family before anything is written, so
/// its body is built first and written at once.
///
/// # Errors
///
/// The writer's error, as it was, when a write or the flush fails: what
/// was written before stays written. For protobuf, a value the format
/// cannot carry (the family and the value are named) is an error of kind
/// [`io::ErrorKind::InvalidData`] whose
/// [`get_ref`](io::Error::get_ref) is the [`MetricError`](crate::MetricError),
/// and nothing is written.
///
/// ```
/// use promscribe::{encode_to, EncodeOptions, Format, Registry};
/// let r = Registry::new();
/// let c = promscribe::Counter::new("jobs_total", "Jobs").unwrap();
/// r.register(c.clone()).unwrap();
/// c.inc();
/// // Any `io::Write`: a `File`, a `TcpStream`, a gzip encoder, a `Vec<u8>`.
/// let mut out: Vec<u8> = Vec::new();
/// encode_to(&mut out, &r, Format::OpenMetrics, &EncodeOptions::default().created(false))?;
/// assert_eq!(out, b"# HELP jobs Jobs\n# TYPE jobs counter\njobs_total 1.0\n# EOF\n");
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn encode_to<W: io::Write + ?Sized>(
    out: &mut W,
    registry: &Registry,
    format: Format,
    options: &EncodeOptions,
) -> io::Result<()> {
    if !format.is_text() {
        return encode_families_to(out, &registry.gather(), format, options);
    }
    let mut chunks = Chunks::new(out);
    {
        // The registry's kept buffers, as `encode` takes them: only ever
        // `try_lock`ed, so a concurrent scrape never waits for this writer.
        let mut kept = registry.scratch();
        let mut own = Scratch::default();
        let scratch = kept
            .as_deref_mut()
            .and_then(Scratch::kept)
            .unwrap_or(&mut own);
        let result = registry.for_each_family(&mut |f| {
            family(&mut chunks.buf, &f, format, options, scratch)?;
            chunks.hand_over(CHUNK)
        });
        chunks.check(result)?;
    }
    chunks.finish(format)
}

/// Encodes `families` in `format` into `out`, then flushes `out` (see
/// [`encode_to`]).
///
/// # Errors
///
/// As [`encode_to`]: the writer's error, or, for protobuf, a value the
/// format cannot carry (kind [`io::ErrorKind::InvalidData`]).
///
/// ```
/// use promscribe::{encode_families_to, EncodeOptions, Format, MetricFamily, MetricType};
/// let mut f = MetricFamily::new("up", "Up", MetricType::Gauge);
/// f.push("", vec![], 1.0).unwrap();
/// let mut out = Vec::new();
/// encode_families_to(&mut out, &[f], Format::Text, &EncodeOptions::default())?;
/// assert_eq!(out, b"# HELP up Up\n# TYPE up gauge\nup 1.0\n");
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn encode_families_to<W: io::Write + ?Sized>(
    out: &mut W,
    families: &[MetricFamily],
    format: Format,
    options: &EncodeOptions,
) -> io::Result<()> {
    match format {
        #[cfg(feature = "protobuf")]
        Format::Protobuf => {
            let mut body = Vec::new();
            super::protobuf::encode(&mut body, families, options)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
            out.write_all(&body)?;
            out.flush()
        }
        Format::Text | Format::Text1_0_0 | Format::OpenMetrics | Format::OpenMetrics2_0_0 => {
            let mut chunks = Chunks::new(out);
            let mut scratch = Scratch::default();
            for f in families {
                let result = family(
                    &mut chunks.buf,
                    &FamilyRef::from(f),
                    format,
                    options,
                    &mut scratch,
                )
                .and_then(|()| chunks.hand_over(CHUNK));
                chunks.check(result)?;
            }
            chunks.finish(format)
        }
    }
}

/// One family in a text format, into the buffer.
fn family(
    buf: &mut String,
    f: &FamilyRef<'_>,
    format: Format,
    options: &EncodeOptions,
    scratch: &mut Scratch,
) -> fmt::Result {
    super::text_family(buf, f, format, options, scratch)
}

/// The text buffer and the writer it is handed to; the writer's error is
/// kept here while the encoder unwinds with `fmt::Error`.
struct Chunks<'a, W: io::Write + ?Sized> {
    out: &'a mut W,
    buf: String,
    error: Option<io::Error>,
}

impl<'a, W: io::Write + ?Sized> Chunks<'a, W> {
    fn new(out: &'a mut W) -> Self {
        Chunks {
            out,
            buf: String::with_capacity(CHUNK + CHUNK / 4),
            error: None,
        }
    }

    /// Writes the buffer out once it holds `at_least` bytes.
    fn hand_over(&mut self, at_least: usize) -> fmt::Result {
        if self.buf.len() < at_least || self.buf.is_empty() {
            return Ok(());
        }
        match self.out.write_all(self.buf.as_bytes()) {
            Ok(()) => {
                self.buf.clear();
                Ok(())
            }
            Err(e) => {
                self.error = Some(e);
                Err(fmt::Error)
            }
        }
    }

    /// The writer's error behind an `fmt::Error`, if there was one.
    fn check(&mut self, result: fmt::Result) -> io::Result<()> {
        match (result, self.error.take()) {
            (_, Some(e)) => Err(e),
            (Ok(()), None) => Ok(()),
            // The encoders write into a `String`, which cannot fail.
            (Err(fmt::Error), None) => {
                Err(io::Error::other("the encoder failed without a write error"))
            }
        }
    }

    /// The end of the exposition (`# EOF` for OpenMetrics), what is left
    /// in the buffer, and the writer's flush.
    fn finish(mut self, format: Format) -> io::Result<()> {
        let result = super::text_end(&mut self.buf, format);
        self.check(result)?;
        let result = self.hand_over(0);
        self.check(result)?;
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Buckets, Counter, Family, Gauge, Histogram, Opts};
    use std::sync::Arc;

    /// A registry with a counter, a gauge and a histogram, labelled and not.
    fn registry() -> Registry {
        let r = Registry::new();
        let c = Counter::new("jobs_total", "Jobs \"done\"\n").expect("counter");
        r.register(c.clone()).expect("register");
        c.inc_by_u64(3);
        let g = Gauge::new("temperature_celsius", "Temperature").expect("gauge");
        r.register(g.clone()).expect("register");
        g.set(-1.5);
        let h = Histogram::with_opts(
            Opts::new("latency_seconds", "Latency"),
            Buckets::new([0.1, 1.0]).expect("buckets"),
        )
        .expect("histogram");
        r.register(h.clone()).expect("register");
        h.observe(0.5);
        r
    }

    fn formats() -> Vec<Format> {
        vec![
            Format::Text,
            Format::Text1_0_0,
            Format::OpenMetrics,
            #[cfg(feature = "protobuf")]
            Format::Protobuf,
        ]
    }

    #[test]
    fn the_bytes_of_encode_bytes_in_every_format() {
        let r = registry();
        for created in [false, true] {
            let options = EncodeOptions::default().created(created);
            for format in formats() {
                let mut want = Vec::new();
                crate::encode_bytes(&mut want, &r, format, &options).expect("encode_bytes");
                assert!(!want.is_empty());
                let mut got = Vec::new();
                encode_to(&mut got, &r, format, &options).expect("encode_to");
                assert_eq!(got, want, "{format:?}, created {created}");
                let mut got = Vec::new();
                encode_families_to(&mut got, &r.gather(), format, &options)
                    .expect("encode_families_to");
                assert_eq!(got, want, "{format:?}, created {created}");
            }
        }
    }

    /// Accepts `room` bytes, then fails; counts writes and flushes.
    struct FailsAfter {
        room: usize,
        written: Vec<u8>,
        writes: usize,
        flushes: usize,
    }

    impl io::Write for FailsAfter {
        fn write(&mut self, data: &[u8]) -> io::Result<usize> {
            self.writes += 1;
            if self.room == 0 {
                return Err(io::Error::new(io::ErrorKind::BrokenPipe, "the peer left"));
            }
            let n = data.len().min(self.room);
            self.room -= n;
            self.written.extend_from_slice(&data[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            self.flushes += 1;
            Ok(())
        }
    }

    /// A registry whose text exposition spans several chunks.
    fn big_registry() -> Registry {
        let r = Registry::new();
        for i in 0..100 {
            let g = Family::<Gauge, 1>::new(
                Opts::new(
                    format!("gauge_{i:03}"),
                    "A gauge with a help text long enough",
                )
                .labels(["shard"]),
            )
            .expect("gauge");
            for shard in 0..64 {
                g.labels([shard.to_string().as_str()]).set(f64::from(shard));
            }
            r.register(g).expect("register");
        }
        r
    }

    #[test]
    fn a_writer_failing_midway_is_an_error_and_the_body_is_written_in_chunks() {
        let r = big_registry();
        let options = EncodeOptions::default().created(false);
        let mut whole = Vec::new();
        crate::encode_bytes(&mut whole, &r, Format::Text, &options).expect("encode_bytes");
        assert!(whole.len() > 4 * CHUNK, "{}", whole.len());

        // Written in several chunks, then flushed once.
        let mut ok = FailsAfter {
            room: usize::MAX,
            written: Vec::new(),
            writes: 0,
            flushes: 0,
        };
        encode_to(&mut ok, &r, Format::Text, &options).expect("encode_to");
        assert_eq!(ok.written, whole);
        assert!(ok.writes >= 4, "{} writes", ok.writes);
        assert_eq!(ok.flushes, 1);

        for format in formats() {
            let mut failing = FailsAfter {
                room: CHUNK + 100,
                written: Vec::new(),
                writes: 0,
                flushes: 0,
            };
            let err =
                encode_to(&mut failing, &r, format, &options).expect_err("the writer fails midway");
            assert_eq!(err.kind(), io::ErrorKind::BrokenPipe, "{format:?}: {err}");
            assert_eq!(failing.written.len(), CHUNK + 100, "{format:?}");
            assert_eq!(failing.flushes, 0, "{format:?}");

            let mut failing = FailsAfter {
                room: 10,
                written: Vec::new(),
                writes: 0,
                flushes: 0,
            };
            let err = encode_families_to(&mut failing, &r.gather(), format, &options)
                .expect_err("the writer fails midway");
            assert_eq!(err.kind(), io::ErrorKind::BrokenPipe, "{format:?}: {err}");
        }
    }

    /// The writer may use the registry's metrics, creating children: no
    /// family's lock is held while it runs (else this deadlocks).
    #[test]
    fn the_writer_runs_without_a_family_lock() {
        struct Creating {
            families: Vec<Arc<Family<Gauge, 1>>>,
            writes: usize,
            out: Vec<u8>,
        }
        impl io::Write for Creating {
            fn write(&mut self, data: &[u8]) -> io::Result<usize> {
                self.writes += 1;
                for f in &self.families {
                    f.labels([format!("new_{}", self.writes).as_str()]).set(1.0);
                }
                self.out.extend_from_slice(data);
                Ok(data.len())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let (done, wait) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let r = Registry::new();
            let mut families = Vec::new();
            for i in 0..40 {
                let f = Family::<Gauge, 1>::new(
                    Opts::new(format!("g_{i:02}"), "A gauge").labels(["shard"]),
                )
                .expect("family");
                for shard in 0..100 {
                    f.labels([shard.to_string().as_str()]).set(1.0);
                }
                r.register(f.clone()).expect("register");
                families.push(f);
            }
            let mut w = Creating {
                families,
                writes: 0,
                out: Vec::new(),
            };
            let result = encode_to(&mut w, &r, Format::OpenMetrics, &EncodeOptions::default());
            let _ = done.send((result.map_err(|e| e.to_string()), w.writes));
        });
        let (result, writes) = wait
            .recv_timeout(std::time::Duration::from_secs(30))
            .expect("encode_to finished: no lock held while writing");
        assert_eq!(result, Ok(()));
        assert!(writes >= 3, "{writes} writes");
    }

    #[test]
    fn a_failing_flush_is_an_error() {
        struct BadFlush(Vec<u8>);
        impl io::Write for BadFlush {
            fn write(&mut self, data: &[u8]) -> io::Result<usize> {
                self.0.extend_from_slice(data);
                Ok(data.len())
            }
            fn flush(&mut self) -> io::Result<()> {
                Err(io::Error::other("disk full"))
            }
        }
        let r = registry();
        let err = encode_to(
            &mut BadFlush(Vec::new()),
            &r,
            Format::Text,
            &EncodeOptions::default(),
        )
        .expect_err("the flush fails");
        assert_eq!(err.to_string(), "disk full");
    }

    #[cfg(feature = "protobuf")]
    #[test]
    fn a_value_protobuf_cannot_carry_is_invalid_data_and_nothing_is_written() {
        let mut s = crate::SummaryMetricFamily::new("rpc_seconds", "RPCs", &[]).expect("summary");
        s.add_metric(&[], 1.5, 2.0).expect("summary");
        let mut out = Vec::new();
        let err = encode_families_to(
            &mut out,
            &[s.into()],
            Format::Protobuf,
            &EncodeOptions::default(),
        )
        .expect_err("a count of 1.5");
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert!(err.to_string().contains("rpc_seconds"), "{err}");
        assert!(err.get_ref().is_some_and(|e| e.is::<crate::MetricError>()));
        assert!(out.is_empty());
    }
}
