//! `colloquy-server [--dist DIR] [--addr HOST:PORT]`: serves the built widget.

use std::net::SocketAddr;
use std::path::PathBuf;

fn usage() -> ! {
    eprintln!("usage: colloquy-server [--dist DIR] [--addr HOST:PORT]");
    std::process::exit(2);
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut dist = PathBuf::from("dist");
    let mut addr: SocketAddr = "127.0.0.1:8080".parse().expect("valid default");
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--dist" => dist = args.next().map(PathBuf::from).unwrap_or_else(|| usage()),
            "--addr" => addr = args.next().and_then(|a| a.parse().ok()).unwrap_or_else(|| usage()),
            _ => usage(),
        }
    }
    if !dist.join("index.html").is_file() {
        eprintln!("colloquy-server: {} has no index.html; build the widget first (cargo xtask build)", dist.display());
        std::process::exit(1);
    }
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("colloquy-server: cannot listen on {addr}: {e}");
            std::process::exit(1);
        }
    };
    println!("colloquy-server: serving {} on http://{addr}", dist.display());
    let app = colloquy_server::app(&colloquy_server::Options { dist });
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    if let Err(e) = axum::serve(listener, app).with_graceful_shutdown(shutdown).await {
        eprintln!("colloquy-server: {e}");
        std::process::exit(1);
    }
}
