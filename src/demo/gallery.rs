//! The gallery (`/demo/gallery`): every widget state rendered from fixed data, for visual tests
//! and for people to look at. `?state=<name>&scheme=light|dark&width=<px>&locale=<code>` renders
//! one state in a frame the size the iframe would have; without parameters, all states in a grid.
//! With `locale=ar` the greeting and the `feedback` conversation are in Arabic too.

use crate::agent::demo::DemoAgent;
use crate::chat::{Chat, ChatHandle};
use crate::components::Widget;
use crate::config::{Config, Scheme};
use crate::events::{ContentItem, Delivery, Dispatcher, HostSink, ViewState};
use crate::host::WebRuntime;
use crate::i18n::Locale;
use crate::layout::{frame_size, is_phone};
use crate::state::{Handoff, Message, Notice, Sender, Status};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use std::rc::Rc;

/// Every gallery state: (name, what it shows).
pub const STATES: &[(&str, &str)] = &[
    ("closed", "the launcher with its greeting bubble and an unread badge"),
    ("open-empty", "the open window before the first message, with the configured actions"),
    ("markdown", "a conversation with a markdown reply"),
    ("streaming", "a reply still streaming in"),
    ("actions", "the configured actions: button, link and form"),
    ("lead", "the lead capture form"),
    ("feedback", "a reply with feedback controls"),
    ("handoff", "queued, a human agent joined and answered"),
    ("error", "a message that failed, with retry"),
    ("maximized", "the maximized window"),
];

/// 2026-11-16 10:42 UTC: every gallery timestamp is relative to it.
pub const T: f64 = 1_794_825_720_000.0;

struct Quiet;

impl HostSink for Quiet {
    fn dom_event(&self, _: &Delivery) {}
}

fn gallery_config(scheme: Scheme, locale: Locale) -> Config {
    let raw = serde_json::json!({
        "title": "Acme Support",
        "greeting": sample(locale, 0),
        "data": {"actions": super::sample_actions()}
    });
    let (mut config, _) = Config::parse(&raw);
    config.theme.scheme = scheme;
    config.locale = Some(locale);
    config
}

/// The greeting and the `feedback` conversation (question, answer), in English or Arabic.
fn sample(locale: Locale, i: usize) -> &'static str {
    const EN: [&str; 3] = [
        "Questions about sizing or delivery? Ask us!",
        "Do you ship to Canada?",
        "Yes! Delivery to Canada takes **3–5 business days** and is free over $50.",
    ];
    const AR: [&str; 3] = [
        "هل لديك أسئلة عن المقاسات أو التوصيل؟ اسألنا!",
        "هل تشحنون إلى كندا؟",
        "نعم! يستغرق التوصيل إلى كندا **من 3 إلى 5 أيام عمل**، وهو مجاني للطلبات التي تزيد على 50 دولارًا.",
    ];
    if locale == Locale::Ar { AR[i] } else { EN[i] }
}

fn agent(id: &str, minutes: f64, text: &str, items: Vec<ContentItem>) -> Message {
    Message::new(id, Sender::Agent, T + minutes * 60_000.0, text, Status::Delivered).with_items(items)
}

fn user(id: &str, minutes: f64, text: &str, status: Status) -> Message {
    Message::new(id, Sender::User, T + minutes * 60_000.0, text, status)
}

const MARKDOWN: &str = "Here is how sizing works:\n\n## Fit\n\n- Runs **true to size**\n- Wide feet: go *half a size up*\n\n\
Check the [size guide](https://example.com/size-guide) or measure:\n\n```\nfoot length (cm) + 1.5 = insole\n```";

/// Builds the controller for one gallery state.
pub fn fixture(state: &str, scheme: Scheme, viewport: (f64, f64), locale: Locale) -> Rc<Chat> {
    let rt = Rc::new(WebRuntime);
    let chat = Chat::new(
        gallery_config(scheme, locale),
        Dispatcher::new(rt.clone(), Rc::new(Quiet)),
        rt.clone(),
        Rc::new(DemoAgent::new(rt, Default::default())),
    );
    chat.stage(|s| {
        s.set_ready(true);
        s.set_viewport(viewport);
        s.set_view(if state == "closed" { ViewState::CLOSED } else { ViewState::OPEN });
        s.set_greeting(state == "closed");
        s.set_conversation((state != "open-empty" && state != "closed").then(|| "c-gallery".into()));
        let messages = match state {
            "closed" => {
                s.set_unread(2);
                vec![]
            }
            "open-empty" => vec![],
            "markdown" | "maximized" => {
                vec![user("u1", 0.0, "How do your trail shoes fit?", Status::Read), agent("r1", 0.5, MARKDOWN, vec![])]
            }
            "streaming" => {
                let m = agent("r1", 0.5, "Sure! Our return policy is simple: you have **60 days** to send", vec![])
                    .with_streaming();
                vec![user("u1", 0.0, "What's your return policy?", Status::Delivered), m]
            }
            "actions" => vec![
                user("u1", 0.0, "/actions", Status::Delivered),
                agent(
                    "r1",
                    0.2,
                    "Here is what you can do from the chat:",
                    vec![ContentItem { id: "r1-1".into(), kind: "actions".into(), ..Default::default() }],
                ),
            ],
            "lead" => vec![
                user("u1", 0.0, "Can someone call me back?", Status::Delivered),
                agent(
                    "r1",
                    0.2,
                    "Leave your details and our team will get back to you.",
                    vec![ContentItem { id: "r1-1".into(), kind: "lead_form".into(), ..Default::default() }],
                ),
            ],
            "feedback" => {
                vec![user("u1", 0.0, sample(locale, 1), Status::Delivered), agent("r1", 0.2, sample(locale, 2), vec![])]
            }
            "handoff" => {
                s.set_handoff(Handoff::Connected("Dana".into()));
                let mut human = Message::new(
                    "h1",
                    Sender::Human,
                    T + 3.0 * 60_000.0,
                    "Hi, I'm Dana. How can I help?",
                    Status::Delivered,
                );
                human.agent_name = Some("Dana".into());
                vec![
                    user("u1", 0.0, "I'd like to talk to a person", Status::Read),
                    agent("r1", 0.2, "Let me connect you with a member of our team.", vec![]),
                    Message::notice("n1", T + 60_000.0, Notice::Queued(Some(2))),
                    Message::notice("n2", T + 2.0 * 60_000.0, Notice::Connected("Dana".into())),
                    human,
                ]
            }
            "error" => vec![
                user("u1", 0.0, "Where is my order A-1042?", Status::Delivered),
                agent("r1", 0.2, "It shipped yesterday and arrives Thursday.", vec![]),
                user("u2", 1.0, "Can I change the address?", Status::Failed),
            ],
            _ => vec![],
        };
        s.set_messages(messages);
        if state == "maximized" {
            s.set_maximized(true);
        }
    });
    chat
}

/// One state in a frame the size the iframe would have.
#[component]
fn Frame(
    /// The state's name.
    state: String,
    /// Light or dark.
    scheme: Scheme,
    /// Host viewport (width, height).
    viewport: (f64, f64),
    /// The UI language.
    locale: Locale,
) -> impl IntoView {
    let chat = fixture(&state, scheme, viewport, locale);
    let s = chat.state;
    let (w, h) = frame_size(s.view.get_untracked(), s.maximized.get_untracked(), s.greeting.get_untracked(), viewport);
    let fit = |v: String, total: f64| if v == "100%" { format!("{total}px") } else { v };
    let (w, h) = (fit(w, viewport.0), fit(h, viewport.1));
    let phone = is_phone(viewport.0);
    provide_context(ChatHandle::new(chat));
    view! {
        <figure class="gallery-item">
            <div
                class="cq-frame"
                class:cq-frame--phone=phone
                data-state=state.clone()
                style:width=w
                style:height=h
            >
                <Widget />
            </div>
            <figcaption>{state}</figcaption>
        </figure>
    }
}

/// The gallery page.
#[component]
pub fn Gallery() -> impl IntoView {
    let query = use_query_map();
    let one = query.with_untracked(|q| q.get("state"));
    let scheme = match query.with_untracked(|q| q.get("scheme")).as_deref() {
        Some("dark") => Scheme::Dark,
        Some("auto") => Scheme::Auto,
        _ => Scheme::Light,
    };
    let width = query.with_untracked(|q| q.get("width")).and_then(|w| w.parse::<f64>().ok()).unwrap_or(1280.0);
    let viewport = (width, if width < 600.0 { 844.0 } else { 800.0 });
    let dark = scheme == Scheme::Dark;
    let locale = query.with_untracked(|q| q.get("locale")).and_then(|l| Locale::parse(&l)).unwrap_or_default();
    match one {
        Some(state) => view! {
            <main class="gallery gallery--single" class:gallery--dark=dark>
                <h1 class="cq-visually-hidden">{format!("Widget state: {state}")}</h1>
                <Frame state scheme viewport locale />
            </main>
        }
        .into_any(),
        None => view! {
            <main class="gallery" class:gallery--dark=dark>
                <h1>"Colloquy widget gallery"</h1>
                <p>
                    "Every state from fixed data. Add "<code>"?state=<name>&scheme=dark&width=390"</code>
                    " to show one."
                </p>
                <div class="gallery-grid">
                    {STATES
                        .iter()
                        .map(|(name, _)| view! { <Frame state=(*name).to_owned() scheme viewport locale /> })
                        .collect_view()}
                </div>
            </main>
        }
        .into_any(),
    }
}
