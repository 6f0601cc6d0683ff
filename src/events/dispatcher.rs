//! The one dispatcher every state change goes through.
//!
//! Rules (DESIGN.md, "Handler rules"):
//! - events are delivered in the order they happened: one queue, one runner; a handler sees
//!   event N+1 only after every handler of event N settled or timed out;
//! - handlers of one name run in registration order, each awaited (a returned Promise);
//! - a handler that throws or rejects is reported as `error` / `HANDLER_ERROR`, one that does not
//!   settle within the timeout as `error` / `HANDLER_TIMEOUT`; the others still run, and a
//!   failure while delivering `error` itself is only logged (no loop);
//! - `once` handlers are removed before their first call;
//! - `pre:*` events go to native handlers one after the other, each seeing the payload as the
//!   previous one left it; a rewritten payload that no longer parses is ignored and reported;
//! - sticky deliveries (`chat:ready` and the last `view:change` in each API that has them) are
//!   replayed to a handler registered after they happened; saEvents subscribers first get the
//!   whole saEvents history.
//!
//! The dispatcher knows nothing of JavaScript: handlers are [`Handler`] trait objects and the
//! platform is a [`Runtime`], so these rules are tested natively. Nor does it know the dialects:
//! which deliveries are sticky and which APIs replay their history are properties of [`Api`].

use super::catalogue::{ErrorCode, Event, WidgetError};
use super::dialects::{self, Api, Context, Delivery};
use super::runtime::Runtime;
use futures::channel::oneshot;
use futures::future::{Either, LocalBoxFuture, select};
use serde_json::Value;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

/// What calling a handler produced: the payload as the handler left it (`None` when the handler
/// cannot hand it back, or did not change it), or why it failed.
pub type HandlerResult = Result<Option<Value>, String>;

/// A host handler: a function on the host side, reached through the bridge (`postMessage` in
/// iframe mode, direct calls in inline mode), or a Rust closure in tests.
pub trait Handler {
    /// Calls the handler with one delivery.
    fn call(&self, delivery: &Delivery) -> LocalBoxFuture<'static, HandlerResult>;
}

/// Deliveries that need no registration: DOM `CustomEvent`s on the host element.
pub trait HostSink {
    /// Dispatches `colloquy:<d.name>` with `d.payload` as `detail`.
    fn dom_event(&self, d: &Delivery);
}

/// Identifies a registration, for `off`.
pub type HandlerId = u32;

/// Handler name that receives every delivery of its API.
pub const WILDCARD: &str = "*";

/// Default per-handler timeout.
pub const DEFAULT_TIMEOUT_MS: u32 = 10_000;

struct Registration {
    id: HandlerId,
    api: Api,
    name: String,
    once: bool,
    handler: Rc<dyn Handler>,
}

impl Registration {
    /// Whether this registration receives `name` in `api`. The native wildcard takes the
    /// canonical events only (not `customEvent` or `analytics`); other APIs' wildcards take all.
    fn wants(&self, api: Api, name: &str, source: &str) -> bool {
        self.api == api && (self.name == name || (self.name == WILDCARD && (api != Api::Native || name == source)))
    }
}

// Jobs move through the queue once; boxing the event would only add an allocation.
#[allow(clippy::large_enum_variant)]
enum Job {
    Event { event: Event, at: f64, reply: Option<oneshot::Sender<Event>> },
    Replay { id: HandlerId, deliveries: Vec<Delivery> },
}

struct State {
    next_id: HandlerId,
    regs: Vec<Registration>,
    queue: VecDeque<Job>,
    running: bool,
    sticky: Vec<Delivery>,
    history: Vec<Delivery>,
    timeout_ms: u32,
    context: Context,
}

struct Inner {
    rt: Rc<dyn Runtime>,
    sink: Rc<dyn HostSink>,
    state: RefCell<State>,
}

/// The event dispatcher. Cheap to clone; clones share everything.
#[derive(Clone)]
pub struct Dispatcher(Rc<Inner>);

impl Dispatcher {
    /// A dispatcher on `rt` that sends DOM events to `sink`.
    pub fn new(rt: Rc<dyn Runtime>, sink: Rc<dyn HostSink>) -> Self {
        Dispatcher(Rc::new(Inner {
            rt,
            sink,
            state: RefCell::new(State {
                next_id: 1,
                regs: Vec::new(),
                queue: VecDeque::new(),
                running: false,
                sticky: Vec::new(),
                history: Vec::new(),
                timeout_ms: DEFAULT_TIMEOUT_MS,
                context: Context::default(),
            }),
        }))
    }

    /// Sets the per-handler timeout (`0`: none).
    pub fn set_timeout_ms(&self, ms: u32) {
        self.0.state.borrow_mut().timeout_ms = ms;
    }

    /// Updates what dialect payloads carry besides the event.
    pub fn update_context(&self, f: impl FnOnce(&mut Context)) {
        f(&mut self.0.state.borrow_mut().context);
    }

    /// The current dialect context.
    pub fn context(&self) -> Context {
        self.0.state.borrow().context.clone()
    }

    /// Registers `handler` for `name` in `api` (`*`: every name) and returns its id.
    pub fn on(&self, api: Api, name: &str, handler: Rc<dyn Handler>, once: bool) -> HandlerId {
        let id = {
            let mut st = self.0.state.borrow_mut();
            let id = st.next_id;
            st.next_id += 1;
            let reg = Registration { id, api, name: name.to_owned(), once, handler };
            // A dialect that replays its history gives a new subscriber all of it; the others
            // get their sticky deliveries.
            let earlier = if api.replays_history() { &st.history } else { &st.sticky };
            let replay: Vec<Delivery> =
                earlier.iter().filter(|d| reg.wants(d.api, &d.name, d.source)).cloned().collect();
            st.regs.push(reg);
            if !replay.is_empty() {
                st.queue.push_back(Job::Replay { id, deliveries: replay });
            }
            id
        };
        self.kick();
        id
    }

    /// Removes a registration. Unknown ids are ignored.
    pub fn off(&self, id: HandlerId) {
        self.0.state.borrow_mut().regs.retain(|r| r.id != id);
    }

    /// Removes every registration (for `destroy`).
    pub fn clear(&self) {
        self.0.state.borrow_mut().regs.clear();
    }

    /// Queues a post event; it is delivered after everything queued before it.
    pub fn post(&self, event: Event) {
        self.enqueue(event, None);
    }

    /// Queues a post event that happened at `at` (epoch ms), earlier than now.
    pub fn post_at(&self, event: Event, at: f64) {
        self.0.state.borrow_mut().queue.push_back(Job::Event { event, at, reply: None });
        self.kick();
    }

    /// Queues an event and resolves, once every handler ran, to the event as the `pre:*`
    /// handlers left it (unchanged for post events).
    pub fn emit(&self, event: Event) -> impl Future<Output = Event> + 'static {
        let (tx, rx) = oneshot::channel();
        let fallback = event.clone();
        self.enqueue(event, Some(tx));
        async move { rx.await.unwrap_or(fallback) }
    }

    /// Delivers a post event at once, without the queue or awaiting any handler: for a widget
    /// that is about to stop (the panic hook), whose task queue will never run again. Every
    /// handler is called (host handlers get their bridge message now), none is awaited.
    /// Returns `false`, delivering nothing, when the dispatcher's state is in use (the panic
    /// happened inside the dispatcher).
    pub fn deliver_now(&self, event: &Event) -> bool {
        let Ok(st) = self.0.state.try_borrow_mut() else { return false };
        let ctx = Context { at: self.0.rt.now_ms(), ..st.context.clone() };
        let mut calls = Vec::new();
        let deliveries = dialects::deliveries(event, &ctx);
        for d in &deliveries {
            if d.api == Api::Dom {
                continue;
            }
            let picked: Vec<Rc<dyn Handler>> =
                st.regs.iter().filter(|r| r.wants(d.api, &d.name, d.source)).map(|r| r.handler.clone()).collect();
            calls.extend(picked.into_iter().map(|h| (h, d)));
        }
        drop(st);
        for d in deliveries.iter().filter(|d| d.api == Api::Dom) {
            self.0.sink.dom_event(d);
        }
        for (handler, d) in calls {
            drop(handler.call(d));
        }
        true
    }

    fn enqueue(&self, event: Event, reply: Option<oneshot::Sender<Event>>) {
        let at = self.0.rt.now_ms();
        self.0.state.borrow_mut().queue.push_back(Job::Event { event, at, reply });
        self.kick();
    }

    fn kick(&self) {
        {
            let mut st = self.0.state.borrow_mut();
            if st.running || st.queue.is_empty() {
                return;
            }
            st.running = true;
        }
        let this = self.clone();
        self.0.rt.spawn(Box::pin(async move {
            loop {
                let job = this.0.state.borrow_mut().queue.pop_front();
                match job {
                    Some(Job::Event { event, at, reply }) => {
                        let event = this.run_event(event, at).await;
                        if let Some(reply) = reply {
                            let _ = reply.send(event);
                        }
                    }
                    Some(Job::Replay { id, deliveries }) => {
                        for d in &deliveries {
                            this.deliver_to(d, Some(id)).await;
                        }
                    }
                    None => break,
                }
            }
            this.0.state.borrow_mut().running = false;
        }));
    }

    async fn run_event(&self, event: Event, at: f64) -> Event {
        let event = if event.is_mutable() { self.run_pre(event).await } else { event };
        let ctx = Context { at, ..self.context() };
        for d in dialects::deliveries(&event, &ctx) {
            if event.is_mutable() && d.api == Api::Native && d.name == event.name() {
                continue; // already delivered, mutably
            }
            if d.api == Api::Dom {
                self.0.sink.dom_event(&d);
                continue;
            }
            self.remember(&d);
            self.deliver_to(&d, None).await;
        }
        event
    }

    /// Runs the native handlers of a `pre:*` event in turn over one payload.
    async fn run_pre(&self, event: Event) -> Event {
        let name = event.name();
        let mut current = event;
        for reg in self.matching(Api::Native, name, name) {
            let d = Delivery {
                api: Api::Native,
                name: name.into(),
                payload: current.to_value(),
                dates: &[],
                source: name,
                element: None,
                stream: current.stream_key().map(str::to_owned),
            };
            if let Some(changed) = self.call(&reg, &d).await {
                match current.with_rewrite(&changed) {
                    Ok(ev) => current = ev,
                    Err(why) => self.fail(
                        &d,
                        WidgetError::new(
                            ErrorCode::HandlerError,
                            format!("a `{name}` handler left an invalid payload: {why}"),
                        ),
                    ),
                }
            }
        }
        current
    }

    fn remember(&self, d: &Delivery) {
        let mut st = self.0.state.borrow_mut();
        if d.api.is_sticky(&d.name) {
            st.sticky.retain(|s| !(s.api == d.api && s.name == d.name));
            st.sticky.push(d.clone());
        }
        if d.api.replays_history() {
            st.history.push(d.clone());
        }
    }

    /// The registrations that want `name` in `api`, in registration order; `once` ones are
    /// removed now.
    fn matching(&self, api: Api, name: &str, source: &str) -> Vec<(HandlerId, Rc<dyn Handler>)> {
        let mut st = self.0.state.borrow_mut();
        let picked: Vec<(HandlerId, Rc<dyn Handler>, bool)> =
            st.regs.iter().filter(|r| r.wants(api, name, source)).map(|r| (r.id, r.handler.clone(), r.once)).collect();
        st.regs.retain(|r| !(r.once && picked.iter().any(|(id, ..)| *id == r.id)));
        picked.into_iter().map(|(id, h, _)| (id, h)).collect()
    }

    async fn deliver_to(&self, d: &Delivery, only: Option<HandlerId>) {
        let regs = match only {
            None => self.matching(d.api, &d.name, d.source),
            Some(id) => {
                let mut st = self.0.state.borrow_mut();
                let Some(pos) = st.regs.iter().position(|r| r.id == id) else { return };
                let handler = st.regs[pos].handler.clone();
                if st.regs[pos].once {
                    st.regs.remove(pos);
                }
                vec![(id, handler)]
            }
        };
        for reg in regs {
            self.call(&reg, d).await;
        }
    }

    /// Calls one handler with the timeout; failures are reported, never propagated.
    async fn call(&self, (_, handler): &(HandlerId, Rc<dyn Handler>), d: &Delivery) -> Option<Value> {
        let timeout_ms = self.0.state.borrow().timeout_ms;
        let call = handler.call(d);
        let outcome = if timeout_ms == 0 {
            Some(call.await)
        } else {
            match select(call, self.0.rt.sleep(timeout_ms)).await {
                Either::Left((result, _)) => Some(result),
                Either::Right(_) => None,
            }
        };
        match outcome {
            Some(Ok(value)) => value,
            Some(Err(why)) => {
                let what = format!("a `{}` handler ({}) failed: {why}", d.name, d.api.as_str());
                self.fail(d, WidgetError::new(ErrorCode::HandlerError, what));
                None
            }
            None => {
                let what = format!("a `{}` handler ({}) did not settle within {timeout_ms} ms", d.name, d.api.as_str());
                self.fail(d, WidgetError::new(ErrorCode::HandlerTimeout, what));
                None
            }
        }
    }

    fn fail(&self, d: &Delivery, error: WidgetError) {
        self.0.rt.console_error(&format!("Colloquy: {}", error.message));
        if d.source != "error" {
            let error = error.with_details(serde_json::json!({"api": d.api.as_str(), "event": d.name}));
            self.post(Event::Error(error));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::catalogue::*;
    use crate::events::testing::*;
    use futures::executor::LocalPool;
    use serde_json::json;

    struct Fixture {
        pool: LocalPool,
        rt: Rc<TestRuntime>,
        sink: Rc<RecordingSink>,
        d: Dispatcher,
        log: Rc<RefCell<Vec<String>>>,
        seen: Rc<RefCell<Vec<Value>>>,
    }

    impl Fixture {
        fn new() -> Self {
            let pool = LocalPool::new();
            let rt = TestRuntime::new(&pool);
            let sink = Rc::new(RecordingSink::default());
            let d = Dispatcher::new(rt.clone(), sink.clone());
            Fixture { pool, rt, sink, d, log: Default::default(), seen: Default::default() }
        }

        fn handler(&self, tag: &'static str, behaviour: Behaviour) -> Rc<dyn Handler> {
            Rc::new(TestHandler { tag, log: self.log.clone(), seen: self.seen.clone(), behaviour })
        }

        fn on(&self, name: &str, tag: &'static str, behaviour: Behaviour) -> HandlerId {
            self.d.on(Api::Native, name, self.handler(tag, behaviour), false)
        }

        fn run(&mut self) {
            self.pool.run_until_stalled();
        }

        fn log(&self) -> Vec<String> {
            self.log.borrow().clone()
        }

        fn errors(&self) -> Vec<Value> {
            self.sink.0.borrow().iter().filter(|(n, _)| n == "error").map(|(_, v)| v.clone()).collect()
        }
    }

    fn pre_send(text: &str) -> Event {
        Event::PreSend {
            message: OutgoingMessage {
                id: "m1".into(),
                message: MessageInput { role: "user".into(), content: text.into() },
                thread_id: "t".into(),
                timestamp: 0.0,
                attachments: vec![],
            },
            cancel: false,
        }
    }

    fn content(ev: &Event) -> String {
        match ev {
            Event::PreSend { message, .. } => message.message.content.clone(),
            _ => panic!("not pre:send"),
        }
    }

    #[test]
    fn deliver_now_reaches_every_dialect_without_running_the_queue() {
        let f = Fixture::new();
        f.on("error", "native", Behaviour::Hang);
        f.d.on(Api::Chask, "onError", f.handler("chask", Behaviour::Record), false);
        f.on("send", "other", Behaviour::Record);
        let error = Event::Error(WidgetError::new(ErrorCode::InternalError, "the widget stopped"));
        assert!(f.d.deliver_now(&error));
        // Delivered at once: no executor step ran, and a hung handler blocks nothing.
        assert_eq!(f.log(), ["native:error", "chask:onError"]);
        assert_eq!(f.errors()[0]["code"], "INTERNAL_ERROR");
        assert_eq!(f.seen.borrow()[1]["code"], "INTERNAL_ERROR");
        // While the dispatcher's state is in use (a panic inside it), it delivers nothing.
        let _busy = f.d.0.state.borrow_mut();
        assert!(!f.d.deliver_now(&error));
    }

    #[test]
    fn handlers_run_in_registration_order_and_once_runs_once() {
        let mut f = Fixture::new();
        f.on("chat:ready", "a", Behaviour::Record);
        f.d.on(Api::Native, "chat:ready", f.handler("once", Behaviour::Record), true);
        f.on("chat:ready", "b", Behaviour::Record);
        f.d.post(Event::ChatReady);
        f.d.post(Event::ChatReady);
        f.run();
        assert_eq!(f.log(), ["a:chat:ready", "once:chat:ready", "b:chat:ready", "a:chat:ready", "b:chat:ready"]);
    }

    #[test]
    fn off_removes_only_that_registration() {
        let mut f = Fixture::new();
        let a = f.on("send", "a", Behaviour::Record);
        f.on("send", "b", Behaviour::Record);
        f.d.off(a);
        f.d.post(Event::Error(WidgetError::new(ErrorCode::SendError, "x")));
        f.d.post(Event::Send {
            message: OutgoingMessage {
                id: "m".into(),
                message: MessageInput { role: "user".into(), content: "x".into() },
                thread_id: "t".into(),
                timestamp: 0.0,
                attachments: vec![],
            },
        });
        f.run();
        assert_eq!(f.log(), ["b:send"]);
    }

    #[test]
    fn pre_handlers_chain_their_rewrites() {
        let mut f = Fixture::new();
        f.on(
            "pre:send",
            "trim",
            Behaviour::Rewrite(Box::new(|v| {
                let t = v["message"]["message"]["content"].as_str().unwrap().trim().to_owned();
                v["message"]["message"]["content"] = json!(t);
            })),
        );
        f.on(
            "pre:send",
            "shout",
            Behaviour::Rewrite(Box::new(|v| {
                let t = v["message"]["message"]["content"].as_str().unwrap().to_uppercase();
                v["message"]["message"]["content"] = json!(t);
            })),
        );
        let out = f.d.emit(pre_send("  hi  "));
        let out = f.pool.run_until(out);
        assert_eq!(content(&out), "HI");
        assert_eq!(f.seen.borrow()[1]["message"]["message"]["content"], "hi");
    }

    #[test]
    fn an_invalid_rewrite_is_ignored_and_reported() {
        let mut f = Fixture::new();
        f.on("pre:send", "bad", Behaviour::Rewrite(Box::new(|v| v["message"] = json!(42))));
        let out = f.d.emit(pre_send("hi"));
        let out = f.pool.run_until(out);
        f.run();
        assert_eq!(content(&out), "hi");
        assert_eq!(f.errors()[0]["code"], "HANDLER_ERROR");
    }

    #[test]
    fn a_throwing_handler_is_isolated_and_reported() {
        let mut f = Fixture::new();
        f.on("chat:ready", "a", Behaviour::Throw);
        f.on("chat:ready", "b", Behaviour::Record);
        f.on("error", "err", Behaviour::Throw);
        f.d.post(Event::ChatReady);
        f.run();
        assert_eq!(f.log(), ["a:chat:ready", "b:chat:ready", "err:error"]);
        let errors = f.errors();
        assert_eq!(errors.len(), 1, "a throwing error handler must not loop");
        assert_eq!(errors[0]["code"], "HANDLER_ERROR");
        assert_eq!(errors[0]["details"], json!({"api": "native", "event": "chat:ready"}));
        assert_eq!(f.rt.console.borrow().len(), 2);
    }

    #[test]
    fn async_handlers_are_awaited_in_order() {
        let mut f = Fixture::new();
        let rt = f.rt.clone();
        f.on("chat:ready", "slow", Behaviour::Wait(500, rt));
        f.on("chat:ready", "next", Behaviour::Record);
        f.d.post(Event::ChatReady);
        f.run();
        assert_eq!(f.log(), ["slow:chat:ready"]);
        f.rt.advance(500.0);
        f.run();
        assert_eq!(f.log(), ["slow:chat:ready", "slow:settled", "next:chat:ready"]);
    }

    #[test]
    fn a_hung_handler_times_out_and_the_chat_goes_on() {
        let mut f = Fixture::new();
        f.d.set_timeout_ms(2_000);
        f.on("pre:send", "hang", Behaviour::Hang);
        f.on("pre:send", "after", Behaviour::Record);
        let out = f.d.emit(pre_send("hi"));
        f.run();
        assert_eq!(f.log(), ["hang:pre:send"]);
        f.rt.advance(2_000.0);
        let out = f.pool.run_until(out);
        f.run();
        assert_eq!(content(&out), "hi");
        assert_eq!(f.log(), ["hang:pre:send", "after:pre:send"]);
        assert_eq!(f.errors()[0]["code"], "HANDLER_TIMEOUT");
    }

    #[test]
    fn a_handler_can_cancel_a_send() {
        let mut f = Fixture::new();
        f.on("pre:send", "cancel", Behaviour::Rewrite(Box::new(|v| v["cancel"] = json!(true))));
        let out = f.d.emit(pre_send("hi"));
        let out = f.pool.run_until(out);
        assert!(matches!(out, Event::PreSend { cancel: true, .. }));
    }

    #[test]
    fn sticky_events_replay_to_late_subscribers() {
        let mut f = Fixture::new();
        let change = ViewChange {
            reason: ViewChangeReason::ChatLoaded,
            old_view_state: ViewState::default(),
            new_view_state: ViewState::CLOSED,
        };
        f.d.post(Event::ViewChange(change.clone()));
        f.d.post(Event::ChatReady);
        f.run();
        f.on("chat:ready", "late", Behaviour::Record);
        f.on("view:change", "late", Behaviour::Record);
        f.on("send", "late", Behaviour::Record);
        f.run();
        assert_eq!(f.log(), ["late:chat:ready", "late:view:change"]);
        assert_eq!(f.seen.borrow()[1], Event::ViewChange(change).to_value());
    }

    #[test]
    fn sa_subscribers_get_the_history_with_original_timestamps() {
        let mut f = Fixture::new();
        f.d.post(Event::ChatLoaded { chat_instance_name: "bot".into() });
        f.run();
        f.rt.advance(5_000.0);
        f.d.on(Api::Sa, WILDCARD, f.handler("sa", Behaviour::Record), false);
        f.d.post(Event::ChatVisible { chat_instance_name: "bot".into() });
        f.run();
        assert_eq!(f.log(), ["sa:CHAT_LOADED", "sa:CHAT_VISIBLE"]);
        let seen = f.seen.borrow();
        assert_eq!(seen[0]["timestamp"], 1_000.0);
        assert_eq!(seen[1]["timestamp"], 6_000.0);
    }

    #[test]
    fn the_native_wildcard_takes_canonical_events_only() {
        let mut f = Fixture::new();
        f.on("*", "all", Behaviour::Record);
        f.on("analytics", "analytics", Behaviour::Record);
        f.d.post(Event::ChatReady);
        f.run();
        assert_eq!(f.log(), ["all:chat:ready", "analytics:analytics"]);
    }

    #[test]
    fn every_event_is_also_a_dom_event() {
        let mut f = Fixture::new();
        f.d.post(Event::ChatReady);
        f.run();
        assert_eq!(f.sink.0.borrow()[0], ("chat:ready".to_owned(), json!({"type": "chat:ready"})));
    }
}
