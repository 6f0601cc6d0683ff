//! `colloquy-server`: serves the built widget and the agent API.
//!
//! ```text
//! colloquy-server [--dist DIR] [--addr HOST:PORT] [--no-api] [--SETTING VALUE ...]
//! colloquy-server token [--sub NAME] [--ttl SECONDS]     # prints a visitor JWT (needs the secret)
//! colloquy-server token --agent NAME [--ttl SECONDS]     # prints an agent JWT (role "agent")
//! ```
//!
//! Environment: `COLLOQUY_JWT_SECRET` (HS256; when set, the API needs bearer tokens),
//! `COLLOQUY_DEV_TOKENS=1` (serve `POST /api/token`; a loud warning at start-up),
//! `COLLOQUY_UPSTREAM_URL`, `COLLOQUY_UPSTREAM_KEY` (optional: none for local model servers),
//! `COLLOQUY_UPSTREAM_MODEL`, `COLLOQUY_UPSTREAM_SYSTEM` or `COLLOQUY_UPSTREAM_SYSTEM_FILE` (proxy
//! an OpenAI-compatible endpoint; the model is offered `transfer_to_human`), `COLLOQUY_CHUNK_MS`,
//! `COLLOQUY_THINK_MS` (scripted agent pacing).
//!
//! Settings, each a flag or its environment variable (`--max-streams` is
//! `COLLOQUY_MAX_STREAMS`; the flag wins), defaults in brackets:
//!
//! | flag | meaning |
//! |---|---|
//! | `--allowed-origins` | sites allowed to embed the widget, comma-separated `scheme://host[:port]`: the API's CORS, the widget page's `frame-ancestors`, the list the widget checks its host against [none: same origin only] |
//! | `--agent-origins` | agent APIs on other origins the widget page may call (`connect-src`, besides its own origin and the allowed origins) [none] |
//! | `--header-timeout-ms` | a request head must arrive within this; also the keep-alive idle wait [10000] |
//! | `--body-timeout-ms` | a request body must arrive within this (`408`) [10000] |
//! | `--idle-timeout-ms` | a connection moving no byte for this long is closed [60000] |
//! | `--max-connections`, `--max-connections-per-address` | open connections (`503` / `429` beyond) [1024, 64] |
//! | `--max-streams`, `--max-streams-per-address` | reply streams at once (`503` / `429` beyond) [512, 16] |
//! | `--retry-after-s` | `Retry-After` of `429`/`503` [5] |
//! | `--drain-ms` | on SIGTERM/Ctrl-C, time for reply streams to finish before they end with `error` [10000] |
//! | `--upstream-timeout-ms` | a whole upstream call [120000] |
//! | `--max-upstream-bytes` | one upstream response body [4194304] |
//! | `--max-replies`, `--max-reply-bytes`, `--reply-ttl-s` | the store of completed replies (retries) [10000, 33554432, 900] |
//! | `--max-conversations`, `--max-conversation-bytes`, `--conversation-ttl-s` | the conversations kept (their events' bytes; unused for this long) [100000, 1073741824, 604800] |
//! | `--body-limit` | largest request body in bytes (`413`) [65536] |
//! | `--database` | `sqlite://PATH` or `postgres://USER:PASSWORD@HOST/DB` [`sqlite://<data dir>/colloquy.db`, the data dir being `$COLLOQUY_DATA_DIR`, else `$XDG_DATA_HOME/colloquy`, else `~/.local/share/colloquy`] |
//! | `--handoff` | `queue` (a person answers through the agent API) or `scripted` (the demo's scripted human) [queue] |
//! | `--queue-timeout-s` | a queued conversation no agent took within this gets the time-out message with the lead form; 0: never [120] |
//! | `--max-events` | events of one conversation (`429` beyond) [2000] |
//! | `--max-event-streams`, `--max-event-streams-per-address` | open event streams, visitors' and agents' (`503` / `429` beyond) [1024, 16] |
//! | `--heartbeat-ms` | a comment line on every open event stream this often [15000] |

use colloquy_server::agent::{Pace, Upstream};
use colloquy_server::net::Limits;
use colloquy_server::{ApiOptions, Handoff, Options, StoreLimits};
use std::collections::HashMap;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

fn usage() -> ! {
    eprintln!(
        "usage: colloquy-server [--dist DIR] [--addr HOST:PORT] [--no-api] [--SETTING VALUE ...]\n       colloquy-server token [--sub NAME] [--ttl SECONDS]\n       colloquy-server token --agent NAME [--ttl SECONDS]\n(settings: see the crate documentation or docs/agent-protocol.md)"
    );
    std::process::exit(2);
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn millis(name: &str, default: u64) -> Duration {
    Duration::from_millis(env(name).and_then(|v| v.parse().ok()).unwrap_or(default))
}

/// The settings given as flags (`--name value`), read with their environment fallback.
struct Settings(HashMap<String, String>);

impl Settings {
    fn raw(&self, flag: &str) -> Option<String> {
        let env_name = format!("COLLOQUY_{}", flag.to_uppercase().replace('-', "_"));
        self.0.get(flag).cloned().or_else(|| env(&env_name))
    }

    fn number(&self, flag: &str, default: u64) -> u64 {
        match self.raw(flag) {
            None => default,
            Some(v) => v.parse().unwrap_or_else(|_| {
                eprintln!("colloquy-server: --{flag} needs a whole number, not {v:?}");
                std::process::exit(2);
            }),
        }
    }

    fn count(&self, flag: &str, default: usize) -> usize {
        self.number(flag, default as u64) as usize
    }

    fn ms(&self, flag: &str, default: Duration) -> Duration {
        Duration::from_millis(self.number(flag, default.as_millis() as u64))
    }

    fn s(&self, flag: &str, default: Duration) -> Duration {
        Duration::from_secs(self.number(flag, default.as_secs()))
    }
}

fn limits(s: &Settings) -> Limits {
    let d = Limits::default();
    Limits {
        header_timeout: s.ms("header-timeout-ms", d.header_timeout),
        body_timeout: s.ms("body-timeout-ms", d.body_timeout),
        idle_timeout: s.ms("idle-timeout-ms", d.idle_timeout),
        max_connections: s.count("max-connections", d.max_connections),
        max_connections_per_address: s.count("max-connections-per-address", d.max_connections_per_address),
        max_streams: s.count("max-streams", d.max_streams),
        max_streams_per_address: s.count("max-streams-per-address", d.max_streams_per_address),
        max_event_streams: s.count("max-event-streams", d.max_event_streams),
        max_event_streams_per_address: s.count("max-event-streams-per-address", d.max_event_streams_per_address),
        retry_after: s.s("retry-after-s", d.retry_after),
        drain: s.ms("drain-ms", d.drain),
    }
}

fn api_options(s: &Settings) -> ApiOptions {
    let upstream = env("COLLOQUY_UPSTREAM_URL").map(|url| Upstream {
        url,
        key: env("COLLOQUY_UPSTREAM_KEY"),
        model: env("COLLOQUY_UPSTREAM_MODEL").unwrap_or_else(|| "gpt-4o-mini".into()),
        system: system_prompt(),
    });
    let d = ApiOptions::default();
    let (r, c) = (d.stores.replies, d.stores.conversations);
    let mut stores = StoreLimits::default();
    stores.replies.max_entries = s.count("max-replies", r.max_entries);
    stores.replies.max_bytes = s.count("max-reply-bytes", r.max_bytes);
    stores.replies.ttl = s.s("reply-ttl-s", r.ttl);
    stores.conversations.max_entries = s.count("max-conversations", c.max_entries);
    stores.conversations.max_bytes = s.count("max-conversation-bytes", c.max_bytes);
    stores.conversations.ttl = s.s("conversation-ttl-s", c.ttl);
    stores.max_events = s.count("max-events", d.stores.max_events);
    let timeout = s.number("queue-timeout-s", d.stores.queue_timeout.map_or(0, |t| t.as_secs()));
    stores.queue_timeout = (timeout > 0).then(|| Duration::from_secs(timeout));
    let handoff = match s.raw("handoff").as_deref() {
        None | Some("queue") => Handoff::Queue,
        Some("scripted") => Handoff::Scripted,
        Some(other) => {
            eprintln!("colloquy-server: --handoff is queue or scripted, not {other:?}");
            std::process::exit(2);
        }
    };
    ApiOptions {
        jwt_secret: env("COLLOQUY_JWT_SECRET").map(String::into_bytes),
        dev_tokens: env("COLLOQUY_DEV_TOKENS").as_deref() == Some("1"),
        upstream,
        upstream_timeout: s.ms("upstream-timeout-ms", d.upstream_timeout),
        upstream_max_bytes: s.count("max-upstream-bytes", d.upstream_max_bytes),
        pace: Pace { think: millis("COLLOQUY_THINK_MS", 250), chunk: millis("COLLOQUY_CHUNK_MS", 35) },
        body_limit: s.count("body-limit", d.body_limit),
        stores,
        database: s.raw("database").unwrap_or_else(colloquy_server::db::default_url),
        handoff,
        heartbeat: s.ms("heartbeat-ms", d.heartbeat),
    }
}

/// The model's system prompt (read once, at start; the server does not start when the file
/// cannot be read).
fn system_prompt() -> Option<String> {
    let file = env("COLLOQUY_UPSTREAM_SYSTEM_FILE").map(PathBuf::from);
    colloquy_server::system_prompt(env("COLLOQUY_UPSTREAM_SYSTEM"), file.as_deref()).unwrap_or_else(|e| {
        eprintln!("colloquy-server: {e}");
        std::process::exit(2);
    })
}

fn token(mut args: impl Iterator<Item = String>) -> ! {
    let Some(secret) = env("COLLOQUY_JWT_SECRET") else {
        eprintln!("colloquy-server token: set COLLOQUY_JWT_SECRET");
        std::process::exit(1);
    };
    let (mut sub, mut ttl, mut agent) = ("visitor".to_owned(), None, None);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--sub" => sub = args.next().unwrap_or_else(|| usage()),
            "--agent" => agent = Some(args.next().filter(|a| !a.trim().is_empty()).unwrap_or_else(|| usage())),
            "--ttl" => ttl = Some(args.next().and_then(|t| t.parse::<u64>().ok()).unwrap_or_else(|| usage())),
            _ => usage(),
        }
    }
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_secs();
    let token = match agent {
        // An agent's shift: 8 hours unless told otherwise.
        Some(name) => colloquy_server::auth::mint_agent(secret.as_bytes(), &name, now, ttl.unwrap_or(8 * 3600)),
        None => colloquy_server::auth::mint(secret.as_bytes(), &sub, now, ttl.unwrap_or(300)),
    };
    println!("{token}");
    std::process::exit(0);
}

/// Resolves on Ctrl-C or SIGTERM.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            },
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

// Multi-threaded: one worker per core.
#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1).peekable();
    if args.peek().map(String::as_str) == Some("token") {
        args.next();
        token(args);
    }
    let mut dist = PathBuf::from("dist");
    let mut addr: SocketAddr = "127.0.0.1:8080".parse().expect("valid default");
    let mut api = true;
    let mut flags = HashMap::new();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--dist" => dist = args.next().map(PathBuf::from).unwrap_or_else(|| usage()),
            "--addr" => addr = args.next().and_then(|a| a.parse().ok()).unwrap_or_else(|| usage()),
            "--no-api" => api = false,
            flag if flag.starts_with("--") => {
                let value = args.next().unwrap_or_else(|| usage());
                flags.insert(flag[2..].to_owned(), value);
            }
            _ => usage(),
        }
    }
    let settings = Settings(flags);
    if !dist.join("index.html").is_file() {
        eprintln!("colloquy-server: {} has no index.html; build the widget first (cargo xtask build)", dist.display());
        std::process::exit(1);
    }
    let (allowed_origins, refused) =
        colloquy_server::parse_origins(&settings.raw("allowed-origins").unwrap_or_default());
    let (agent_origins, refused_agents) =
        colloquy_server::parse_origins(&settings.raw("agent-origins").unwrap_or_default());
    for origin in refused.into_iter().chain(refused_agents) {
        eprintln!("colloquy-server: ignoring origin {origin:?} (expected scheme://host[:port])");
    }
    let options = Options {
        dist: Some(dist.clone()),
        api: api.then(|| api_options(&settings)),
        allowed_origins,
        agent_origins,
        limits: limits(&settings),
        ..Options::default()
    };
    if let Some(api) = &options.api {
        for warning in colloquy_server::startup_warnings(api) {
            eprintln!("\n{}\ncolloquy-server: {warning}\n{}\n", "!".repeat(78), "!".repeat(78));
        }
    }
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("colloquy-server: cannot listen on {addr}: {e}");
            std::process::exit(1);
        }
    };
    // The store first (its migrations): "serving" means ready.
    let app = match colloquy_server::start(&options).await {
        Ok(app) => app,
        Err(e) => {
            eprintln!("colloquy-server: {e}");
            std::process::exit(1);
        }
    };
    let what = match &options.api {
        Some(a) if a.upstream.is_some() => "the widget and the agent API (upstream model)",
        Some(_) => "the widget and the agent API (scripted agent)",
        None => "the widget",
    };
    let addr = listener.local_addr().unwrap_or(addr);
    println!("colloquy-server: serving {what} from {} on http://{addr}", dist.display());
    if let Some(upstream) = options.api.as_ref().and_then(|a| a.upstream.as_ref()) {
        // Never the key, nor the URL's query (it may hold one).
        println!("colloquy-server: {}", colloquy_server::upstream_summary(upstream));
    }
    if let Some(api) = &options.api {
        // Not println!: whoever started the server may have read the first line and closed
        // stdout (the address is all they wanted).
        let _ = writeln!(
            std::io::stdout(),
            "colloquy-server: store {} (hand-off: {})",
            colloquy_server::db::shown_url(&api.database),
            match api.handoff {
                Handoff::Queue => "queue, answered through the agent API",
                Handoff::Scripted => "the scripted human",
            }
        );
    }
    let served = colloquy_server::net::serve(listener, app, options.limits.clone(), options.closing.clone(), async {
        stop_signal().await;
        // Not println!: a closed stdout (a supervisor that stopped reading) must not panic here.
        let _ =
            writeln!(std::io::stdout(), "colloquy-server: stopping (in-flight replies get {:?})", options.limits.drain);
    })
    .await;
    if let Err(e) = served {
        eprintln!("colloquy-server: {e}");
        std::process::exit(1);
    }
}
