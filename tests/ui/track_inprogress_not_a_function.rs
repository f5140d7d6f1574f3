promscribe::gauge!(G, "g", "help");

#[promscribe::track_inprogress(G)]
const X: u8 = 1;

fn main() {}
