//! Wall-clock time: now, and when this process started, as Unix seconds
//! (what `_created` series and `set_to_current_time` hold).

use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch, now.
pub(crate) fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// When the process started, as seconds since the Unix epoch: the kernel's
/// record where it can be read, else the first time this is asked.
pub(crate) fn process_start_time() -> f64 {
    static START: OnceLock<f64> = OnceLock::new();
    *START.get_or_init(|| start_time_of_self().unwrap_or_else(unix_now))
}

/// This process's start time in Unix seconds, read from the kernel.
fn start_time_of_self() -> Option<f64> {
    #[cfg(all(target_os = "linux", feature = "process"))]
    {
        start_time_of(&procfs::process::Process::myself().ok()?)
    }
    #[cfg(not(all(target_os = "linux", feature = "process")))]
    {
        None
    }
}

/// A process's start time in Unix seconds, read from the kernel.
#[cfg(all(target_os = "linux", feature = "process"))]
pub(crate) fn start_time_of(p: &procfs::process::Process) -> Option<f64> {
    let stat = p.stat().ok()?;
    let boot = procfs::boot_time_secs().ok()? as f64;
    Some(boot + stat.starttime as f64 / procfs::ticks_per_second() as f64)
}
