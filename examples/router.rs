//! Instrumenting a request router (the "Instrumenting Python with
//! Prometheus" article): latency and exceptions by path, with every path
//! initialised so its series exist before the first request.
//!
//! ```text
//! cargo run --example router                 # serves /metrics on 0.0.0.0:8000
//! cargo run --example router -- --once       # routes a few requests, prints the exposition, exits
//! ```

use std::time::Duration;

use promscribe::{count_exceptions, counter, summary, timed};

summary!(
    REQUEST_DURATION,
    "my_router_request_latency_seconds",
    "Latency of request router handlers",
    labels = ["path"]
);
counter!(
    REQUEST_EXCEPTIONS,
    "my_router_request_exceptions_total",
    "Exceptions thrown in request router handlers",
    labels = ["path"]
);

/// A request: just its path here.
struct Request {
    path: String,
}

#[derive(Debug)]
struct NotFound;

type Handler = fn(&Request) -> Result<(), NotFound>;

fn some_function(_: &Request) -> Result<(), NotFound> {
    std::thread::sleep(Duration::from_millis(5));
    Ok(())
}

fn other_function(_: &Request) -> Result<(), NotFound> {
    Err(NotFound)
}

const HANDLERS: [(&str, Handler); 2] = [("/foo", some_function), ("/bar", other_function)];

#[timed(REQUEST_DURATION, labels = [request.path.as_str()])]
#[count_exceptions(REQUEST_EXCEPTIONS, labels = [request.path.as_str()])]
fn route_request(request: &Request) -> Result<(), NotFound> {
    let handler = HANDLERS
        .iter()
        .find(|(path, _)| *path == request.path)
        .map(|(_, h)| *h)
        .ok_or(NotFound)?;
    handler(request)
}

fn main() {
    // Initialise every path, so their series exist from the start.
    for (path, _) in HANDLERS {
        REQUEST_DURATION.labels([path]);
        REQUEST_EXCEPTIONS.labels([path]);
    }
    const USAGE: &str = "usage: router [--listen ADDR] [--once]   (default 0.0.0.0:8000; --once prints the exposition after three requests and exits)";
    let mut listen = String::from("0.0.0.0:8000");
    let mut once = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--once" => once = true,
            "--listen" => match args.next() {
                Some(v) => listen = v,
                None => {
                    eprintln!("router: --listen needs an address; {USAGE}");
                    std::process::exit(2);
                }
            },
            "-h" | "--help" => {
                println!("{USAGE}");
                return;
            }
            other => {
                eprintln!("router: unknown argument `{other}`; {USAGE}");
                std::process::exit(2);
            }
        }
    }
    if once {
        for path in ["/foo", "/bar", "/foo"] {
            let _ = route_request(&Request { path: path.into() });
        }
        print!(
            "{}",
            promscribe::encode_text(promscribe::default_registry())
        );
        return;
    }
    let server = match promscribe_export::start_http_server(&listen) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("router: cannot listen on {listen}: {e}");
            std::process::exit(1);
        }
    };
    println!("serving metrics on http://{}/metrics", server.local_addr());
    loop {
        for (path, _) in HANDLERS {
            let _ = route_request(&Request { path: path.into() });
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}
