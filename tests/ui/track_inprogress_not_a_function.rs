metrics_core::gauge!(G, "g", "help");

#[metrics_core::track_inprogress(G)]
const X: u8 = 1;

fn main() {}
