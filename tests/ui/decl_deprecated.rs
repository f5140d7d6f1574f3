// `#[deprecated]` on a declared static: the user's uses are flagged, the
// expansion's own registration is not.
#![deny(deprecated)]

promscribe::counter!(
    #[deprecated(note = "use NEW_REQUESTS")]
    OLD_REQUESTS,
    "old_requests_total",
    "help"
);

fn main() {
    OLD_REQUESTS.inc();
}
