// The limits bound the series of a family: on a metric without labels,
// one error at each.
promscribe::counter!(C, "requests_total", "help", max_series = 100, expire_after = "5m");
fn main() {
    C.inc();
}
