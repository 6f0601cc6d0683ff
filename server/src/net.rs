//! The accept loop: TCP_NODELAY, connection caps (per server and per client address), header-read
//! and idle timeouts, and graceful shutdown. Built on hyper's HTTP/1 connection (its
//! `header_read_timeout`) and hyper-util's `GracefulShutdown`.

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use serde_json::json;
use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, Semaphore};
use tower::ServiceExt;

/// The server's limits (all of them configurable, see `main.rs`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// A request's head (request line and headers) must arrive within this; also how long an
    /// idle keep-alive connection waits for its next request.
    pub header_timeout: Duration,
    /// A request's body must arrive within this (`408` beyond).
    pub body_timeout: Duration,
    /// A connection that moves no byte either way for this long is closed.
    pub idle_timeout: Duration,
    /// Most open connections (`503` beyond).
    pub max_connections: usize,
    /// Most open connections from one client address (`429` beyond).
    pub max_connections_per_address: usize,
    /// Most reply streams at once (`503` beyond).
    pub max_streams: usize,
    /// Most reply streams at once for one client address (`429` beyond).
    pub max_streams_per_address: usize,
    /// Most event streams open at once (visitors' and agents'; `503` beyond).
    pub max_event_streams: usize,
    /// Most event streams open at once for one client address (`429` beyond).
    pub max_event_streams_per_address: usize,
    /// The `Retry-After` sent with `429` and `503`.
    pub retry_after: Duration,
    /// On shutdown, how long reply streams may take to finish before they are ended with an
    /// `error` event.
    pub drain: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_connections: 1_024,
            max_connections_per_address: 64,
            max_streams: 512,
            max_streams_per_address: 16,
            max_event_streams: 1_024,
            max_event_streams_per_address: 16,
            retry_after: Duration::from_secs(5),
            drain: Duration::from_secs(10),
        }
    }
}

/// Why a [`Gate`] refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The whole server is at its cap (`503`).
    Server,
    /// This client address is at its cap (`429`).
    Address,
}

/// Counts holders in total and per client address, up to two caps.
#[derive(Debug)]
pub struct Gate {
    max_total: usize,
    max_per_address: usize,
    held: Mutex<(usize, HashMap<IpAddr, usize>)>,
}

/// One place in a [`Gate`], given back when dropped.
#[derive(Debug)]
pub struct Permit {
    gate: Arc<Gate>,
    address: IpAddr,
}

impl Gate {
    /// A gate with these caps.
    pub fn new(max_total: usize, max_per_address: usize) -> Arc<Gate> {
        Arc::new(Gate { max_total, max_per_address, held: Mutex::default() })
    }

    /// A place for `address`, or why not.
    pub fn enter(self: &Arc<Self>, address: IpAddr) -> Result<Permit, Refusal> {
        let mut held = self.held.lock().expect("gate lock");
        let mine = held.1.get(&address).copied().unwrap_or(0);
        if mine >= self.max_per_address {
            return Err(Refusal::Address);
        }
        if held.0 >= self.max_total {
            return Err(Refusal::Server);
        }
        held.0 += 1;
        *held.1.entry(address).or_default() += 1;
        Ok(Permit { gate: self.clone(), address })
    }

    /// Places held now.
    pub fn held(&self) -> usize {
        self.held.lock().expect("gate lock").0
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut held = self.gate.held.lock().expect("gate lock");
        held.0 -= 1;
        if let Some(n) = held.1.get_mut(&self.address) {
            *n -= 1;
            if *n == 0 {
                held.1.remove(&self.address);
            }
        }
    }
}

/// The shutdown signal reply streams listen to: once closed, a stream still running ends with an
/// `error` event.
#[derive(Clone, Debug, Default)]
pub struct Closing(Arc<(AtomicBool, Notify)>);

impl Closing {
    /// Tells every stream to end.
    pub fn close(&self) {
        self.0.0.store(true, Ordering::SeqCst);
        self.0.1.notify_waiters();
    }

    /// Whether [`Closing::close`] was called.
    pub fn is_closed(&self) -> bool {
        self.0.0.load(Ordering::SeqCst)
    }

    /// Resolves once [`Closing::close`] is called.
    pub async fn wait(&self) {
        loop {
            let notified = self.0.1.notified();
            if self.is_closed() {
                return;
            }
            notified.await;
        }
    }
}

/// Prepares an accepted socket: replies are many small writes, so Nagle's algorithm is off
/// (with it, delayed ACKs hold the first event of a keep-alive request about 40 ms).
pub fn tune(stream: &TcpStream) -> io::Result<()> {
    stream.set_nodelay(true)
}

fn millis_since(start: Instant) -> u64 {
    start.elapsed().as_millis() as u64
}

/// A socket that notes when a byte last moved either way (for the idle timeout).
struct Activity {
    inner: TcpStream,
    start: Instant,
    last: Arc<AtomicU64>,
}

impl Activity {
    fn touch(&self) {
        self.last.store(millis_since(self.start), Ordering::Relaxed);
    }
}

impl AsyncRead for Activity {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let poll = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(poll, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.touch();
        }
        poll
    }
}

impl AsyncWrite for Activity {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write(cx, data);
        if matches!(poll, Poll::Ready(Ok(n)) if n > 0) {
            self.touch();
        }
        poll
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(poll, Poll::Ready(Ok(n)) if n > 0) {
            self.touch();
        }
        poll
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Resolves once no byte moved for `idle`.
async fn idle(start: Instant, last: Arc<AtomicU64>, idle: Duration) {
    loop {
        let since = millis_since(start).saturating_sub(last.load(Ordering::Relaxed));
        let left = idle.saturating_sub(Duration::from_millis(since));
        if left.is_zero() {
            return;
        }
        tokio::time::sleep(left).await;
    }
}

/// At most this many refusals are being written at once; beyond, a refused socket is just closed.
const MAX_REFUSING: usize = 256;

/// Answers a connection over a cap with `503`/`429`, `Retry-After` and the JSON error, then
/// closes it. Bounded in time (2 s).
async fn refuse(mut stream: TcpStream, why: Refusal, retry_after: Duration) {
    let (status, code, message) = match why {
        Refusal::Server => ("503 Service Unavailable", "UNAVAILABLE", "the server is at its connection limit"),
        Refusal::Address => ("429 Too Many Requests", "TOO_MANY_REQUESTS", "too many connections from this address"),
    };
    let body = json!({"code": code, "message": message}).to_string();
    let answer = format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nretry-after: {}\r\nx-content-type-options: nosniff\r\nconnection: close\r\n\r\n{body}",
        body.len(),
        retry_after.as_secs().max(1)
    );
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        let mut buf = [0u8; 4096];
        // Take what the client sent first, so closing does not reset the connection under the answer.
        let _ = tokio::time::timeout(Duration::from_millis(100), stream.read(&mut buf)).await;
        stream.write_all(answer.as_bytes()).await?;
        stream.shutdown().await?;
        while stream.read(&mut buf).await? > 0 {}
        Ok::<_, io::Error>(())
    })
    .await;
}

/// Serves `app` on `listener` until `signal` resolves, then shuts down gracefully: no new
/// connections; requests in flight finish; reply streams get [`Limits::drain`] to finish, then
/// `closing` ends them with an `error` event; returns at most 2 s later.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    closing: Closing,
    signal: impl Future<Output = ()>,
) -> io::Result<()> {
    let gate = Gate::new(limits.max_connections, limits.max_connections_per_address);
    let refusing = Arc::new(Semaphore::new(MAX_REFUSING));
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(limits.header_timeout);
    let mut signal = std::pin::pin!(signal);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: wait instead of spinning.
                    eprintln!("colloquy-server: accept: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut signal => break,
        };
        let _ = tune(&stream);
        let permit = match gate.enter(peer.ip()) {
            Ok(permit) => permit,
            Err(why) => {
                if let Ok(slot) = refusing.clone().try_acquire_owned() {
                    let retry_after = limits.retry_after;
                    tokio::spawn(async move {
                        refuse(stream, why, retry_after).await;
                        drop(slot);
                    });
                }
                continue;
            }
        };
        let service = app.clone().map_request(move |mut request: axum::http::Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            request
        });
        let start = Instant::now();
        let last = Arc::new(AtomicU64::new(0));
        let io = Activity { inner: stream, start, last: last.clone() };
        let connection = graceful.watch(http.serve_connection(TokioIo::new(io), TowerToHyperService::new(service)));
        let idle_timeout = limits.idle_timeout;
        tokio::spawn(async move {
            let _permit = permit;
            tokio::select! {
                _ = connection => {}
                () = idle(start, last, idle_timeout) => {}
            }
        });
    }
    drop(listener);
    let shutdown = graceful.shutdown();
    let mut shutdown = std::pin::pin!(shutdown);
    if tokio::time::timeout(limits.drain, &mut shutdown).await.is_err() {
        closing.close();
        let _ = tokio::time::timeout(Duration::from_secs(2), shutdown).await;
    }
    Ok(())
}

/// The client address of a request served by [`serve`] (unspecified otherwise, e.g. in tests
/// that call the router directly).
pub fn client_address(extensions: &axum::http::Extensions) -> IpAddr {
    extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip()).unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gate_caps_per_address_then_per_server_and_gives_places_back() {
        let gate = Gate::new(3, 2);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let c: IpAddr = "10.0.0.3".parse().unwrap();
        let a1 = gate.enter(a).unwrap();
        let _a2 = gate.enter(a).unwrap();
        assert_eq!(gate.enter(a).unwrap_err(), Refusal::Address);
        let _b1 = gate.enter(b).unwrap();
        assert_eq!(gate.enter(c).unwrap_err(), Refusal::Server);
        drop(a1);
        assert_eq!(gate.held(), 2);
        assert!(gate.enter(c).is_ok());
    }

    #[tokio::test]
    async fn accepted_sockets_have_nagle_off() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let _client = TcpStream::connect(addr).await.unwrap();
        let (server_side, _) = listener.accept().await.unwrap();
        assert!(!server_side.nodelay().unwrap());
        tune(&server_side).unwrap();
        assert!(server_side.nodelay().unwrap());
    }
}
