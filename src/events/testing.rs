//! Test support for native tests: a deterministic runtime (a single-threaded executor and a
//! manual clock), a recording DOM sink, and scriptable handlers.

use super::dialects::Delivery;
use super::dispatcher::{Handler, HandlerResult, HostSink};
use super::runtime::Runtime;
use futures::channel::oneshot;
use futures::executor::{LocalPool, LocalSpawner};
use futures::future::LocalBoxFuture;
use futures::task::LocalSpawnExt;
use serde_json::Value;
use std::cell::Cell;
use std::cell::RefCell;
use std::rc::Rc;

pub struct TestRuntime {
    pub now: Cell<f64>,
    spawner: LocalSpawner,
    timers: RefCell<Vec<(f64, oneshot::Sender<()>)>>,
    pub console: RefCell<Vec<String>>,
    seed: Cell<u64>,
    /// Bytes taken from the secure random source so far.
    pub random_bytes: Cell<usize>,
}

impl TestRuntime {
    pub fn new(pool: &LocalPool) -> Rc<Self> {
        Rc::new(TestRuntime {
            now: Cell::new(1_000.0),
            spawner: pool.spawner(),
            timers: RefCell::new(Vec::new()),
            console: RefCell::new(Vec::new()),
            seed: Cell::new(42),
            random_bytes: Cell::new(0),
        })
    }

    /// Moves the clock and fires the timers that are due.
    pub fn advance(&self, ms: f64) {
        self.now.set(self.now.get() + ms);
        let now = self.now.get();
        let due: Vec<_> = {
            let mut timers = self.timers.borrow_mut();
            let (due, rest) = timers.drain(..).partition(|(t, _)| *t <= now);
            *timers = rest;
            due
        };
        for (_, tx) in due {
            let _ = tx.send(());
        }
    }
}

impl Runtime for TestRuntime {
    fn now_ms(&self) -> f64 {
        self.now.get()
    }
    fn sleep(&self, ms: u32) -> LocalBoxFuture<'static, ()> {
        if ms == 0 {
            return Box::pin(async {});
        }
        let (tx, rx) = oneshot::channel();
        self.timers.borrow_mut().push((self.now.get() + f64::from(ms), tx));
        Box::pin(async move {
            let _ = rx.await;
        })
    }
    fn spawn(&self, fut: LocalBoxFuture<'static, ()>) {
        self.spawner.spawn_local(fut).expect("executor alive");
    }
    fn console_error(&self, message: &str) {
        self.console.borrow_mut().push(message.to_owned());
    }
    fn next_frame(&self) -> LocalBoxFuture<'static, ()> {
        Box::pin(async {})
    }
    fn local_time(&self) -> (u8, u32) {
        (1, 10 * 60)
    }
    fn fill_random(&self, buf: &mut [u8]) {
        self.random_bytes.set(self.random_bytes.get() + buf.len());
        for b in buf {
            let next = self.seed.get().wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            self.seed.set(next);
            *b = (next >> 56) as u8;
        }
    }
    fn yield_now(&self) -> LocalBoxFuture<'static, ()> {
        Box::pin(async {})
    }
}

#[derive(Default)]
pub struct RecordingSink(pub RefCell<Vec<(String, Value)>>);

impl HostSink for RecordingSink {
    fn dom_event(&self, d: &Delivery) {
        self.0.borrow_mut().push((d.name.clone(), d.payload.clone()));
    }
}

/// What a test handler does when called.
pub enum Behaviour {
    /// Returns at once, unchanged.
    Record,
    /// Rewrites the payload.
    Rewrite(Box<dyn Fn(&mut Value)>),
    /// Throws.
    Throw,
    /// Never settles.
    Hang,
    /// Settles after the given milliseconds of the test clock.
    Wait(u32, Rc<TestRuntime>),
}

/// A handler that logs `tag:name` into a shared log.
pub struct TestHandler {
    pub tag: &'static str,
    pub log: Rc<RefCell<Vec<String>>>,
    pub seen: Rc<RefCell<Vec<Value>>>,
    pub behaviour: Behaviour,
}

impl Handler for TestHandler {
    fn call(&self, d: &Delivery) -> LocalBoxFuture<'static, HandlerResult> {
        self.log.borrow_mut().push(format!("{}:{}", self.tag, d.name));
        self.seen.borrow_mut().push(d.payload.clone());
        let mut payload = d.payload.clone();
        match &self.behaviour {
            Behaviour::Record => Box::pin(async { Ok(None) }),
            Behaviour::Rewrite(f) => {
                f(&mut payload);
                Box::pin(async move { Ok(Some(payload)) })
            }
            Behaviour::Throw => Box::pin(async { Err("boom".to_owned()) }),
            Behaviour::Hang => Box::pin(futures::future::pending()),
            Behaviour::Wait(ms, rt) => {
                let sleep = rt.sleep(*ms);
                let log = self.log.clone();
                let tag = self.tag;
                Box::pin(async move {
                    sleep.await;
                    log.borrow_mut().push(format!("{tag}:settled"));
                    Ok(None)
                })
            }
        }
    }
}
