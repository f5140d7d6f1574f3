//! A metrics endpoint safe to expose beyond localhost: `start_http_server`
//! over HTTPS (rustls; certificate and key from PEM files, optionally
//! client certificates verified against a CA) with HTTP basic auth
//! (bcrypt-hashed passwords, as in the Prometheus exporter toolkit's web
//! config) and/or bearer tokens. A request without valid credentials gets
//! `401` and never the metrics.
//!
//! ```text
//! cargo run --example tls_auth -- --listen 127.0.0.1:9443 \
//!     --cert server.crt --key server.key [--client-ca ca.crt] \
//!     --basic-user 'prometheus:$2y$10$...' [--bearer-token-file token.txt]
//! ```
//!
//! A bcrypt hash comes from `htpasswd -nBC 10 prometheus` (the part after
//! the colon) or Python's `bcrypt.hashpw`.

use promscribe::counter;
use promscribe_export::{start_http_server_with, Auth, ServerOptions, TlsConfig};

counter!(
    TLS_AUTH_TICKS,
    "tls_auth_ticks_total",
    "Seconds the tls_auth example has run"
);

const USAGE: &str = "usage: tls_auth --cert FILE --key FILE [--listen ADDR] [--client-ca FILE] \
[--basic-user USER:BCRYPT_HASH]... [--bearer-token-file FILE]   (default listen 127.0.0.1:9443)";

fn fail(message: &str) -> ! {
    eprintln!("tls_auth: {message}");
    std::process::exit(1);
}

fn main() {
    let mut listen = String::from("127.0.0.1:9443");
    let (mut cert, mut key, mut client_ca) = (None, None, None);
    let mut users: Vec<String> = Vec::new();
    let mut token_file = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "-h" || a == "--help" {
            println!("{USAGE}");
            return;
        }
        match (a.as_str(), args.next()) {
            ("--listen", Some(v)) => listen = v,
            ("--cert", Some(v)) => cert = Some(v),
            ("--key", Some(v)) => key = Some(v),
            ("--client-ca", Some(v)) => client_ca = Some(v),
            ("--basic-user", Some(v)) => users.push(v),
            ("--bearer-token-file", Some(v)) => token_file = Some(v),
            _ => {
                eprintln!("tls_auth: bad arguments; {USAGE}");
                std::process::exit(2);
            }
        }
    }
    let (Some(cert), Some(key)) = (cert, key) else {
        eprintln!("tls_auth: --cert and --key are required; {USAGE}");
        std::process::exit(2);
    };
    let mut tls = TlsConfig::from_pem_files(&cert, &key).unwrap_or_else(|e| fail(&e.to_string()));
    if let Some(ca) = client_ca {
        tls = tls.client_ca(&ca).unwrap_or_else(|e| fail(&e.to_string()));
    }
    let mut auth = Auth::new();
    for user in &users {
        let Some((name, hash)) = user.split_once(':') else {
            fail(&format!("--basic-user {user:?}: expected USER:BCRYPT_HASH"));
        };
        auth = auth
            .basic_user(name, hash)
            .unwrap_or_else(|e| fail(&e.to_string()));
    }
    if let Some(file) = token_file {
        let token = std::fs::read_to_string(&file)
            .unwrap_or_else(|e| fail(&format!("cannot read {file}: {e}")));
        auth = auth
            .bearer_token(token.trim())
            .unwrap_or_else(|e| fail(&format!("{file}: {e}")));
    }
    let server = start_http_server_with(&listen, ServerOptions::new().tls(tls).auth(auth))
        .unwrap_or_else(|e| fail(&format!("cannot listen on {listen}: {e}")));
    println!("serving metrics on https://{}/metrics", server.local_addr());
    loop {
        std::thread::sleep(std::time::Duration::from_secs(1));
        TLS_AUTH_TICKS.inc();
    }
}
