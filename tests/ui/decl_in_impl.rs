// A static cannot be an associated item: one error, at the declaration.
struct Server;

impl Server {
    promscribe::counter!(REQUESTS, "requests_total", "help");

    fn handle(&self) {}
}

fn main() {
    Server.handle();
}
