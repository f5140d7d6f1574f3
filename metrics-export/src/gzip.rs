//! Gzip for `/metrics` answers and push bodies: one gzip member whose
//! deflate stream is made of segments compressed side by side.
//!
//! A large exposition is cut into a few segments of at least
//! [`SEGMENT_MIN`] bytes, one per available core (at most
//! [`MAX_SEGMENTS`]). Each is deflated on its own thread; every segment
//! but the last ends with a sync flush (an empty stored block, so the next
//! one starts on a byte boundary), the last with the final block. Put end
//! to end behind one gzip header, with the CRC-32 of the segments
//! combined, they are one ordinary gzip member that any decoder reads (as
//! `pigz` makes them). A segment's matches never reach into the one before
//! it, so its first 32 KiB compress as if nothing came before: about 2 KB
//! more per boundary on the 1.7 MB text exposition of the benchmarks.

use std::io;
use std::sync::OnceLock;

use flate2::{Compress, Compression, Crc, FlushCompress, Status};

/// The gzip level of push bodies, as `/metrics` answers' default
/// (`DEFAULT_GZIP_LEVEL`). On the text exposition, level 3 of flate2's
/// zlib-rs backend compresses about three times faster than level 6 for
/// an answer about 13% larger.
#[cfg(feature = "gzip")]
pub(crate) const DEFAULT_LEVEL: u32 = 3;

/// A body is cut into segments of at least this many bytes.
const SEGMENT_MIN: usize = 256 * 1024;

/// At most this many segments (and threads) for one body.
const MAX_SEGMENTS: usize = 4;

/// The gzip header: no name, no time, unknown OS (as flate2 writes it).
const HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255];

/// The number of segments for a body of `len` bytes.
fn segments(len: usize) -> usize {
    static CORES: OnceLock<usize> = OnceLock::new();
    let cores = *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    (len / SEGMENT_MIN).clamp(1, cores.clamp(1, MAX_SEGMENTS))
}

/// `body` as one gzip member at `level` (0 to 9; above 9 is taken as 9).
///
/// # Errors
///
/// The compressor's error (none is expected when compressing into memory),
/// or a compressing thread that ended without its segment.
pub(crate) fn compress(body: &[u8], level: u32) -> io::Result<Vec<u8>> {
    compress_in(body, level.min(9), segments(body.len()))
}

/// [`compress`] in `parts` segments.
fn compress_in(body: &[u8], level: u32, parts: usize) -> io::Result<Vec<u8>> {
    let size = body.len().div_ceil(parts.max(1)).max(1);
    let pieces: Vec<&[u8]> = if body.is_empty() {
        vec![body]
    } else {
        body.chunks(size).collect()
    };
    let last = pieces.len() - 1;
    let deflated: Vec<io::Result<(Vec<u8>, Crc)>> = if last == 0 {
        vec![segment(body, level, true)]
    } else {
        std::thread::scope(|scope| {
            // The first segment on this thread, the others on their own.
            let others: Vec<_> = pieces[1..]
                .iter()
                .enumerate()
                .map(|(i, piece)| {
                    let is_last = i + 1 == last;
                    let spawned = std::thread::Builder::new()
                        .name("metrics-gzip".into())
                        .spawn_scoped(scope, move || segment(piece, level, is_last));
                    // No thread to be had: this segment waits its turn here.
                    spawned.map_err(|_| (*piece, is_last))
                })
                .collect();
            let mut done = vec![segment(pieces[0], level, false)];
            for other in others {
                done.push(match other {
                    Ok(handle) => handle
                        .join()
                        .unwrap_or_else(|_| Err(io::Error::other("a gzip thread panicked"))),
                    Err((piece, is_last)) => segment(piece, level, is_last),
                });
            }
            done
        })
    };
    let mut crc = Crc::new();
    let mut out = Vec::with_capacity(
        HEADER.len()
            + 8
            + deflated
                .iter()
                .map(|d| d.as_ref().map_or(0, |(v, _)| v.len()))
                .sum::<usize>(),
    );
    out.extend_from_slice(&HEADER);
    for part in deflated {
        let (bytes, part_crc) = part?;
        out.extend_from_slice(&bytes);
        crc.combine(&part_crc);
    }
    out.extend_from_slice(&crc.sum().to_le_bytes());
    // ISIZE: the length modulo 2^32 (RFC 1952).
    out.extend_from_slice(&((body.len() as u64 & 0xffff_ffff) as u32).to_le_bytes());
    Ok(out)
}

/// One raw deflate segment of `piece` and its CRC-32: ended by a sync
/// flush, or by the final block if it is the `last`.
fn segment(piece: &[u8], level: u32, last: bool) -> io::Result<(Vec<u8>, Crc)> {
    let mut crc = Crc::new();
    crc.update(piece);
    let mut deflate = Compress::new(Compression::new(level), false);
    let flush = if last {
        FlushCompress::Finish
    } else {
        FlushCompress::Sync
    };
    let mut out = Vec::with_capacity(piece.len() / 8 + 64);
    loop {
        let read = usize::try_from(deflate.total_in()).unwrap_or(piece.len());
        let rest = piece.get(read..).unwrap_or_default();
        let status = deflate
            .compress_vec(rest, &mut out, flush)
            .map_err(io::Error::other)?;
        let all_read = usize::try_from(deflate.total_in()).is_ok_and(|n| n >= piece.len());
        // Done: the final block written, or (sync flush) everything read
        // and the flush written with room to spare.
        let finished = if last {
            status == Status::StreamEnd
        } else {
            all_read && out.len() < out.capacity()
        };
        if finished {
            return Ok((out, crc));
        }
        out.reserve(out.capacity().max(4096));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    /// Text like the exposition's, `lines` lines of it.
    fn exposition_like(lines: usize) -> Vec<u8> {
        let mut text = String::new();
        for i in 0..lines {
            text.push_str(&format!(
                "http_requests_total{{method=\"GET\",path=\"/api/v1/item/{i}\"}} {}.0\n",
                i * 7 % 1000
            ));
        }
        text.into_bytes()
    }

    /// Decodes one gzip member, and checks it is the only one.
    fn gunzip(bytes: &[u8]) -> Vec<u8> {
        let mut decoder = flate2::read::GzDecoder::new(bytes);
        let mut out = Vec::new();
        decoder.read_to_end(&mut out).expect("valid gzip");
        let mut rest = Vec::new();
        decoder.into_inner().read_to_end(&mut rest).expect("read");
        assert!(
            rest.is_empty(),
            "{} bytes after the first member",
            rest.len()
        );
        out
    }

    #[test]
    fn segments_decode_as_one_member() {
        let body = exposition_like(40_000);
        assert!(body.len() > 4 * SEGMENT_MIN);
        for parts in 1..=5 {
            for level in [0, 1, 3, 6, 9] {
                let gz = compress_in(&body, level, parts).expect("compressed");
                assert_eq!(gunzip(&gz), body, "{parts} segments, level {level}");
            }
        }
    }

    #[test]
    fn small_and_empty_bodies() {
        for body in [&b""[..], b"x", b"up 1\n"] {
            for parts in [1, 3] {
                let gz = compress_in(body, 3, parts).expect("compressed");
                assert_eq!(gunzip(&gz), body);
            }
        }
        // More segments asked for than there are bytes.
        let gz = compress_in(b"ab", 3, 4).expect("compressed");
        assert_eq!(gunzip(&gz), b"ab");
    }

    #[test]
    fn segments_cost_little() {
        let body = exposition_like(40_000);
        let one = compress_in(&body, 3, 1).expect("compressed").len();
        let four = compress_in(&body, 3, 4).expect("compressed").len();
        assert!(four <= one + one / 20, "4 segments: {four} bytes, 1: {one}");
    }

    #[test]
    fn the_level_is_used() {
        let body = exposition_like(20_000);
        let stored = compress(&body, 0).expect("compressed").len();
        let fast = compress(&body, 1).expect("compressed").len();
        let best = compress(&body, 9).expect("compressed").len();
        assert!(stored > body.len(), "level 0 stores: {stored}");
        assert!(best < fast, "level 9 {best}, level 1 {fast}");
        assert_eq!(
            compress(&body, 42).expect("compressed"),
            compress(&body, 9).expect("compressed")
        );
    }

    #[test]
    fn the_segment_count() {
        assert_eq!(segments(0), 1);
        assert_eq!(segments(SEGMENT_MIN - 1), 1);
        assert!(segments(100 * SEGMENT_MIN) <= MAX_SEGMENTS);
    }
}
