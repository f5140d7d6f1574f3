promscribe::gauge!(G, "g", "help");

#[promscribe::track_inprogress(G)]
fn forever() -> ! {
    loop {}
}

fn main() {
    if false {
        forever();
    }
}
