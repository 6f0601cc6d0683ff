//! Native benchmarks (`cargo xtask bench` runs them): figures, not pass/fail tests.
//! Prints one JSON object per line: `{"bench": ..., "value": ..., "unit": ...}`.

use colloquy::agent::sse::{SseParser, encode};
use colloquy::events::{Api, Delivery, Dispatcher, Event, Handler, HostSink, Runtime, dispatcher::HandlerResult};
use colloquy::markdown;
use futures::executor::{LocalPool, LocalSpawner};
use futures::future::LocalBoxFuture;
use futures::task::LocalSpawnExt;
use serde_json::json;
use std::cell::Cell;
use std::hint::black_box;
use std::rc::Rc;
use std::time::Instant;

struct Rt(LocalSpawner);

impl Runtime for Rt {
    fn now_ms(&self) -> f64 {
        0.0
    }
    fn sleep(&self, _: u32) -> LocalBoxFuture<'static, ()> {
        Box::pin(futures::future::pending())
    }
    fn spawn(&self, fut: LocalBoxFuture<'static, ()>) {
        self.0.spawn_local(fut).unwrap();
    }
    fn console_error(&self, _: &str) {}
    fn next_frame(&self) -> LocalBoxFuture<'static, ()> {
        Box::pin(async {})
    }
    fn fill_random(&self, buf: &mut [u8]) {
        buf.fill(7);
    }
    fn yield_now(&self) -> LocalBoxFuture<'static, ()> {
        Box::pin(async {})
    }
    fn local_time(&self) -> (u8, u32) {
        (1, 600)
    }
}

struct Sink;
impl HostSink for Sink {
    fn dom_event(&self, _: &Delivery) {}
}

struct Count(Rc<Cell<u64>>);
impl Handler for Count {
    fn call(&self, _: &Delivery) -> LocalBoxFuture<'static, HandlerResult> {
        self.0.set(self.0.get() + 1);
        Box::pin(async { Ok(None) })
    }
}

fn report(bench: &str, value: f64, unit: &str) {
    println!("{}", json!({"bench": bench, "value": (value * 100.0).round() / 100.0, "unit": unit}));
}

/// The median of `runs` timings of `f`, in milliseconds.
fn median_ms(runs: usize, mut f: impl FnMut()) -> f64 {
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[runs / 2]
}

fn dispatcher(n: u64) {
    let mut pool = LocalPool::new();
    let d = Dispatcher::new(Rc::new(Rt(pool.spawner())), Rc::new(Sink));
    let seen = Rc::new(Cell::new(0));
    d.on(Api::Native, "*", Rc::new(Count(seen.clone())), false);
    d.on(Api::ChatSpark, "*", Rc::new(Count(seen.clone())), false);
    d.on(Api::Chask, "*", Rc::new(Count(seen.clone())), false);
    for _ in 0..n {
        d.post(Event::ChatReady);
    }
    pool.run_until_stalled();
    assert!(seen.get() >= n);
}

fn main() {
    // The dispatcher: events through every dialect mapping to three handlers.
    let n = 20_000;
    let ms = median_ms(5, || dispatcher(n));
    report("dispatcher: chat:ready to 3 handlers, events per second", n as f64 / ms * 1000.0, "events/s");

    // The SSE parser on a realistic reply stream, in 1 KB chunks.
    let mut stream = String::new();
    for i in 0..20_000 {
        stream.push_str(&encode("delta", &json!({"messageId": "r1", "text": format!("word{i} ")})));
    }
    let bytes = stream.as_bytes();
    let ms = median_ms(5, || {
        let mut p = SseParser::new();
        let mut count = 0;
        for chunk in bytes.chunks(1024) {
            count += p.feed(chunk).len();
        }
        assert_eq!(black_box(count), 20_000);
    });
    report("SSE parser throughput", bytes.len() as f64 / 1e6 / (ms / 1000.0), "MB/s");

    // Markdown of a long reply.
    let mut md = String::new();
    for i in 0..200 {
        md.push_str(&format!(
            "## Section {i}\n\nSome **bold** text, a [link](https://example.com/{i}) and `code`.\n\n- one\n- two\n\n"
        ));
    }
    let ms = median_ms(9, || {
        black_box(markdown::parse(&md));
    });
    report(&format!("markdown: parse {} KB", md.len() / 1024), ms, "ms");

    // Streaming: N deltas rendered incrementally (finished blocks once, the growing block per
    // delta) versus re-rendering the whole message per delta. Work = bytes parsed.
    let deltas: Vec<String> = colloquy::agent::demo::long_chunks(2_000);
    let (mut incremental, mut naive) = (0usize, 0usize);
    let mut text = String::new();
    let (mut stable, mut tail_rendered) = (0, 0);
    let mut scan = markdown::StableScan::default();
    let t = Instant::now();
    for d in &deltas {
        text.push_str(d);
        let end = scan.advance(&text);
        if end > stable {
            incremental += end - stable;
            black_box(markdown::parse(&text[stable..end]));
            stable = end;
            tail_rendered = 0;
        }
        if markdown::tail_due(text.len() - stable, tail_rendered) {
            incremental += text.len() - stable;
            black_box(markdown::parse(&text[stable..]));
            tail_rendered = text.len() - stable;
        }
        naive += text.len();
    }
    let incremental_ms = t.elapsed().as_secs_f64() * 1000.0;
    report("streaming 2000 deltas: bytes parsed, incremental", incremental as f64, "bytes");
    report("streaming 2000 deltas: bytes parsed if re-rendered whole", naive as f64, "bytes");
    report("streaming 2000 deltas: incremental render time (parse only)", incremental_ms, "ms");
    report("streaming 2000 deltas: final message size", text.len() as f64, "bytes");
}
