// A static cannot be an associated item. rustc's parser says so, then
// recovers the static as an associated const, whose registration cannot
// name it: a second, follow-on error. A documented limit (`counter!`'s
// documentation, "Where a declaration can go"): the macro cannot see that it
// is in an `impl`.
struct Server;

impl Server {
    promscribe::counter!(REQUESTS, "requests_total", "help");

    fn handle(&self) {}
}

fn main() {
    Server.handle();
}
