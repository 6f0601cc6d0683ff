//! `colloquy-server`: serves the built widget and the agent API.
//!
//! ```text
//! colloquy-server [--dist DIR] [--addr HOST:PORT] [--no-api]
//! colloquy-server token [--sub NAME] [--ttl SECONDS]     # prints a JWT (needs the secret)
//! ```
//!
//! Environment: `COLLOQUY_JWT_SECRET` (HS256; when set, the API needs bearer tokens),
//! `COLLOQUY_ALLOWED_ORIGINS` (comma-separated, for inline-mode hosts), `COLLOQUY_DEV_TOKENS=1`
//! (serve `POST /api/token`), `COLLOQUY_UPSTREAM_URL`, `COLLOQUY_UPSTREAM_KEY`,
//! `COLLOQUY_UPSTREAM_MODEL` (proxy an OpenAI-compatible endpoint), `COLLOQUY_CHUNK_MS`,
//! `COLLOQUY_THINK_MS` (scripted agent pacing).

use colloquy_server::agent::{Pace, Upstream};
use colloquy_server::{ApiOptions, Options};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

fn usage() -> ! {
    eprintln!(
        "usage: colloquy-server [--dist DIR] [--addr HOST:PORT] [--no-api]\n       colloquy-server token [--sub NAME] [--ttl SECONDS]"
    );
    std::process::exit(2);
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn millis(name: &str, default: u64) -> Duration {
    Duration::from_millis(env(name).and_then(|v| v.parse().ok()).unwrap_or(default))
}

fn api_options() -> ApiOptions {
    let upstream = match (env("COLLOQUY_UPSTREAM_URL"), env("COLLOQUY_UPSTREAM_KEY")) {
        (Some(url), Some(key)) => {
            Some(Upstream { url, key, model: env("COLLOQUY_UPSTREAM_MODEL").unwrap_or_else(|| "gpt-4o-mini".into()) })
        }
        (Some(_), None) => {
            eprintln!("colloquy-server: COLLOQUY_UPSTREAM_URL needs COLLOQUY_UPSTREAM_KEY; using the scripted agent");
            None
        }
        _ => None,
    };
    ApiOptions {
        jwt_secret: env("COLLOQUY_JWT_SECRET").map(String::into_bytes),
        allowed_origins: env("COLLOQUY_ALLOWED_ORIGINS")
            .map(|v| v.split(',').map(|o| o.trim().to_owned()).filter(|o| !o.is_empty()).collect())
            .unwrap_or_default(),
        dev_tokens: env("COLLOQUY_DEV_TOKENS").as_deref() == Some("1"),
        upstream,
        pace: Pace { think: millis("COLLOQUY_THINK_MS", 250), chunk: millis("COLLOQUY_CHUNK_MS", 35) },
        ..ApiOptions::default()
    }
}

fn token(mut args: impl Iterator<Item = String>) -> ! {
    let Some(secret) = env("COLLOQUY_JWT_SECRET") else {
        eprintln!("colloquy-server token: set COLLOQUY_JWT_SECRET");
        std::process::exit(1);
    };
    let (mut sub, mut ttl) = ("visitor".to_owned(), 300u64);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--sub" => sub = args.next().unwrap_or_else(|| usage()),
            "--ttl" => ttl = args.next().and_then(|t| t.parse().ok()).unwrap_or_else(|| usage()),
            _ => usage(),
        }
    }
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_secs();
    println!("{}", colloquy_server::auth::mint(secret.as_bytes(), &sub, now, ttl));
    std::process::exit(0);
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut args = std::env::args().skip(1).peekable();
    if args.peek().map(String::as_str) == Some("token") {
        args.next();
        token(args);
    }
    let mut dist = PathBuf::from("dist");
    let mut addr: SocketAddr = "127.0.0.1:8080".parse().expect("valid default");
    let mut api = true;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--dist" => dist = args.next().map(PathBuf::from).unwrap_or_else(|| usage()),
            "--addr" => addr = args.next().and_then(|a| a.parse().ok()).unwrap_or_else(|| usage()),
            "--no-api" => api = false,
            _ => usage(),
        }
    }
    if !dist.join("index.html").is_file() {
        eprintln!("colloquy-server: {} has no index.html; build the widget first (cargo xtask build)", dist.display());
        std::process::exit(1);
    }
    let options = Options { dist: Some(dist.clone()), api: api.then(api_options) };
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("colloquy-server: cannot listen on {addr}: {e}");
            std::process::exit(1);
        }
    };
    let what = match &options.api {
        Some(a) if a.upstream.is_some() => "the widget and the agent API (upstream model)",
        Some(_) => "the widget and the agent API (scripted agent)",
        None => "the widget",
    };
    println!("colloquy-server: serving {what} from {} on http://{addr}", dist.display());
    let app = colloquy_server::app(&options);
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    if let Err(e) = axum::serve(listener, app).with_graceful_shutdown(shutdown).await {
        eprintln!("colloquy-server: {e}");
        std::process::exit(1);
    }
}
