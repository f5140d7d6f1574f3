// `crate = path` pointing at a promscribe of another version (its private
// module is stamped with another version): one unresolved import.
mod old_promscribe {
    pub use promscribe::Counter;
    pub mod __private {
        pub mod v0_0_9 {}
    }
}

promscribe::counter!(C, "requests_total", "help", crate = old_promscribe);

fn main() {
    C.inc();
}
