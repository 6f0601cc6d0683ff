//! The standalone demo page: a sample product page that embeds the widget exactly as a host
//! site does (through `embed.js`), with a live event inspector listening in every dialect, and
//! controls for every instance method.
//!
//! This is host-page code: it talks to the widget only through the public JavaScript API.

pub mod gallery;

use crate::agent::demo::COMMANDS;
use crate::events::dialects::{Api, names};
use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;
use serde_json::Value;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

/// One event the inspector received.
#[derive(Clone, Debug, PartialEq)]
pub struct Logged {
    /// Arrival order.
    pub seq: usize,
    /// Milliseconds since the page loaded.
    pub at: f64,
    /// Host API it came through.
    pub api: &'static str,
    /// Event name in that API.
    pub name: String,
    /// Pretty-printed payload.
    pub payload: String,
}

/// Entry point of the demo bundle (`demo/index.html`): the demo page and the gallery.
pub fn start() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(|| {
        view! {
            <Router base="/demo">
                <Routes fallback=|| view! { <DemoPage /> }>
                    <Route path=path!("/") view=DemoPage />
                    <Route path=path!("/gallery") view=gallery::Gallery />
                </Routes>
            </Router>
        }
    });
}

fn get(obj: &JsValue, key: &str) -> JsValue {
    js_sys::Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn set(obj: &JsValue, key: &str, value: &JsValue) {
    let _ = js_sys::Reflect::set(obj, &JsValue::from_str(key), value);
}

/// Calls `target[method](...args)`.
fn invoke(target: &JsValue, method: &str, args: &[JsValue]) -> JsValue {
    match get(target, method).dyn_into::<js_sys::Function>() {
        Ok(f) => f.apply(target, &args.iter().collect()).unwrap_or(JsValue::UNDEFINED),
        Err(_) => JsValue::UNDEFINED,
    }
}

fn json(v: Value) -> JsValue {
    crate::host::js::to_js(&v)
}

/// Whether the page asks for the HTTP agent (`?agent=http`, what `cargo xtask demo --server` opens).
fn http_agent() -> bool {
    window().location().search().unwrap_or_default().contains("agent=http")
}

/// A visitor token (an hour) from the reference server's development endpoint (`POST
/// /api/token`), when it serves one.
async fn dev_token() -> Option<String> {
    let request = gloo_net::http::Request::post("/api/token").json(&serde_json::json!({"ttl": 3600})).ok()?;
    let response = request.send().await.ok().filter(|r| r.ok())?;
    let body: Value = response.json().await.ok()?;
    body.get("token").and_then(Value::as_str).map(str::to_owned)
}

/// Seed 001's actions plus a link: the demo's and the gallery's.
pub fn sample_actions() -> Value {
    serde_json::json!([
        {"id": "book_demo", "type": "button", "label": "Book a demo", "primary": true},
        {"id": "size_guide", "type": "link", "label": "Size guide", "url": "https://example.com/size-guide"},
        {"id": "contact_sales", "type": "form", "label": "Contact sales", "fields": [
            {"key": "name", "label": "Name", "required": true},
            {"key": "email", "label": "Email", "required": true, "type": "email"}
        ]}
    ])
}

/// The demo's widget config: the sample actions, a greeting, analytics to dataLayer.
fn config() -> Value {
    let agent = if http_agent() {
        serde_json::json!({"kind": "http", "url": "/api"})
    } else {
        serde_json::json!({"kind": "demo"})
    };
    serde_json::json!({
        "mode": "iframe",
        "name": "acme_demo",
        "title": "Acme Support",
        "greeting": "Questions about sizing or delivery? Ask us!",
        "agent": agent,
        "analytics": {"dataLayer": true},
        "user": {"id": "visitor-42"},
        "data": {"actions": sample_actions()}
    })
}

/// Renders a `user_defined` order card into the widget's host element.
fn render_custom(ev: &JsValue) {
    // The element may belong to the widget's (same-origin) iframe: another realm, so no
    // `instanceof` check; any object with a nodeType is a node.
    let el = get(ev, "hostElement");
    if !el.is_object() || get(&el, "nodeType").is_undefined() {
        return;
    }
    let el: web_sys::Element = el.unchecked_into();
    let data = get(&get(ev, "contentItem"), "user_defined");
    let order = get(&data, "orderId").as_string().unwrap_or_default();
    let status = get(&data, "status").as_string().unwrap_or_default();
    let Some(doc) = el.owner_document() else { return };
    let card: web_sys::HtmlElement = doc.create_element("div").unwrap().unchecked_into();
    // The element lives in the widget's document: the page's stylesheet does not reach it.
    let style = card.style();
    for (k, v) in [
        ("padding", "10px 12px"),
        ("border", "1px solid #d9dde5"),
        ("border-left", "4px solid #0f766e"),
        ("border-radius", "10px"),
        ("background", "#f0fdfa"),
        ("color", "#134e4a"),
    ] {
        let _ = style.set_property(k, v);
    }
    let title = doc.create_element("strong").unwrap();
    title.set_text_content(Some(&format!("Order {order}")));
    let line: web_sys::HtmlElement = doc.create_element("p").unwrap().unchecked_into();
    let _ = line.style().set_property("margin", "2px 0 0");
    line.set_text_content(Some(&format!("Status: {status} · arrives Thursday")));
    let _ = card.append_child(&title);
    let _ = card.append_child(&line);
    el.set_text_content(None);
    let _ = el.append_child(&card);
}

/// The demo page.
#[component]
pub fn DemoPage() -> impl IntoView {
    let (log, set_log) = signal(Vec::<Logged>::new());
    let (filter, set_filter) = signal(String::new());
    let instance = StoredValue::new_local(JsValue::UNDEFINED);
    let (maximized, set_maximized) = signal(false);
    let t0 = js_sys::Date::now();

    let record = move |api: &'static str, name: String, payload: &JsValue| {
        let payload = crate::host::js::from_js(payload)
            .map(|v: Value| serde_json::to_string_pretty(&v).unwrap_or_default())
            .unwrap_or_else(|| "(no argument)".into());
        set_log.update(|l| {
            let seq = l.len();
            l.push(Logged { seq, at: js_sys::Date::now() - t0, api, name, payload });
        });
    };
    let listener = move |api: &'static str, name: String| -> JsValue {
        Closure::<dyn Fn(JsValue)>::new(move |ev: JsValue| record(api, name.clone(), &ev)).into_js_value()
    };

    // Load embed.js like any host page, listen in every dialect, then start the widget.
    Effect::new(move |_| {
        let document = document();
        let script: web_sys::HtmlElement = document.create_element("script").unwrap().unchecked_into();
        let _ = script.set_attribute("src", "../embed.js");
        let on_load = Closure::once_into_js(move || {
            let w: JsValue = window().into();
            let chatspark = get(&w, "ChatSpark");
            for name in names(Api::ChatSpark) {
                invoke(&chatspark, "on", &[(*name).into(), listener("chatspark", (*name).to_owned())]);
            }
            let sa = get(&w, "saEvents");
            let sa_listener = Closure::<dyn Fn(JsValue)>::new(move |ev: JsValue| {
                let kind = get(&ev, "type").as_string().unwrap_or_default();
                record("sa", kind, &ev);
            })
            .into_js_value();
            invoke(&sa, "subscribe", &[sa_listener]);

            let config = json(config());
            let callbacks = js_sys::Object::new();
            for name in names(Api::Chask) {
                set(&callbacks, name, &listener("chask", (*name).to_owned()));
            }
            set(&config, "callbacks", &callbacks);
            let on_any = Closure::<dyn Fn(JsValue)>::new(move |ev: JsValue| {
                let name = get(&ev, "type").as_string().unwrap_or_default();
                if name == "userDefinedResponse" {
                    render_custom(&ev);
                }
                record("native", name, &ev);
            })
            .into_js_value();
            let on_load = Closure::<dyn Fn(JsValue)>::new(move |inst: JsValue| {
                invoke(&inst, "on", &["*".into(), on_any.clone()]);
                invoke(&inst, "on", &["customEvent".into(), listener("native", "customEvent".into())]);
                invoke(&inst, "on", &["analytics".into(), listener("native", "analytics".into())]);
                let host = get(&inst, "hostElement");
                for name in names(Api::Dom) {
                    let l = listener("dom", format!("colloquy:{name}"));
                    let detail_only = Closure::<dyn Fn(web_sys::CustomEvent)>::new(move |e: web_sys::CustomEvent| {
                        let _ = l.unchecked_ref::<js_sys::Function>().call1(&JsValue::NULL, &e.detail());
                    })
                    .into_js_value();
                    invoke(&host, "addEventListener", &[format!("colloquy:{name}").into(), detail_only]);
                }
                instance.set_value(inst);
            })
            .into_js_value();
            set(&config, "onLoad", &on_load);
            if !http_agent() {
                invoke(&get(&w, "Colloquy"), "init", &[config]);
                return;
            }
            // `cargo xtask demo --server` runs the API with tokens (the agent console needs
            // them): a visitor token from the development endpoint, renewed before it expires.
            leptos::task::spawn_local(async move {
                if let Some(token) = dev_token().await {
                    set(&config, "authToken", &token.into());
                }
                invoke(&get(&w, "Colloquy"), "init", &[config]);
                gloo_timers::callback::Interval::new(50 * 60 * 1000, move || {
                    leptos::task::spawn_local(async move {
                        if let Some(token) = dev_token().await {
                            instance.with_value(|i| invoke(i, "updateAuthToken", &[token.into()]));
                        }
                    });
                })
                .forget();
            });
        });
        script.set_onload(Some(on_load.unchecked_ref()));
        let _ = document.body().unwrap().append_child(&script);
    });

    let call = move |method: &'static str, args: Vec<JsValue>| {
        instance.with_value(|i| {
            invoke(i, method, &args);
        });
    };
    let sample_thread = || {
        json(serde_json::json!([
            {"id": "h1", "sender": "user", "content": [{"type": "text", "text": "Do you ship to Canada?"}],
             "message_state": {"timestamp": js_sys::Date::now() - 3_600_000.0, "status": "read"}},
            {"id": "h2", "sender": "response", "content": [{"type": "text", "text": "Yes: **3–5 business days**, free over $50."}],
             "message_state": {"timestamp": js_sys::Date::now() - 3_590_000.0}}
        ]))
    };
    let shown = move || -> Vec<Logged> {
        let f = filter.get().to_lowercase();
        log.get()
            .into_iter()
            .rev()
            .filter(|e| f.is_empty() || e.name.to_lowercase().contains(&f) || e.api.contains(&f))
            .take(300)
            .collect()
    };
    let control = |label: &'static str, f: Box<dyn Fn() + Send + Sync>| {
        view! {
            <button type="button" on:click=move |_| f()>
                {label}
            </button>
        }
    };
    view! {
        <div class="demo">
            <header class="demo-bar">
                <span class="demo-brand">"Acme Outdoor"</span>
                <nav aria-label="Shop">
                    <a href="#">"Shoes"</a>
                    <a href="#">"Packs"</a>
                    <a href="gallery">"Widget gallery"</a>
                </nav>
            </header>
            <main class="demo-main">
                <div class="demo-left">
                    <section class="demo-product" aria-labelledby="product-title">
                        <div class="demo-photo" aria-hidden="true"></div>
                        <div>
                            <h1 id="product-title">"Ridgeline Trail Shoe"</h1>
                            <p class="demo-price">"$129"</p>
                            <p>
                                "Grippy, light and waterproof. The chat in the corner is the Colloquy widget, "
                                "embedded with one script tag exactly as on a customer's site."
                            </p>
                            <button class="demo-buy" type="button">
                                "Add to cart"
                            </button>
                        </div>
                    </section>
                    <section class="demo-panel" aria-labelledby="commands-title">
                        <h2 id="commands-title">"Try the demo agent"</h2>
                        <p class="demo-hint">
                            {if http_agent() {
                                "Agent: the reference server over HTTP + SSE (/api). "
                            } else {
                                "Agent: embedded in the widget, no server. "
                            }}
                            <a href=if http_agent() { "./" } else { "./?agent=http" }>
                                {if http_agent() { "Use the embedded agent" } else { "Use the HTTP agent" }}
                            </a>
                        </p>
                        <dl class="demo-commands">
                            {COMMANDS
                                .iter()
                                .map(|(cmd, what)| {
                                    view! {
                                        <dt>
                                            <code>{*cmd}</code>
                                        </dt>
                                        <dd>{*what}</dd>
                                    }
                                })
                                .collect_view()}
                        </dl>
                    </section>
                    <section class="demo-panel" aria-labelledby="methods-title">
                        <h2 id="methods-title">"Instance methods"</h2>
                        <div class="demo-controls">
                            {control("changeView(\"mainWindow\")", Box::new(move || call("changeView", vec!["mainWindow".into()])))}
                            {control("changeView(\"launcher\")", Box::new(move || call("changeView", vec!["launcher".into()])))}
                            {control("send(\"Hello from the host\")", Box::new(move || call("send", vec!["Hello from the host".into()])))}
                            {control("setMaximized(toggle)", Box::new(move || {
                                let next = !maximized.get_untracked();
                                set_maximized.set(next);
                                call("setMaximized", vec![next.into()]);
                            }))}
                            {control("loadThread(sample)", Box::new(move || call("loadThread", vec![sample_thread()])))}
                            {control("updateUser({name: \"Ada\"})", Box::new(move || call("updateUser", vec![json(serde_json::json!({"name": "Ada"}))])))}
                            {control("updateAuthToken(\"t\")", Box::new(move || call("updateAuthToken", vec!["demo-token".into()])))}
                            {control("restartConversation()", Box::new(move || call("restartConversation", vec![])))}
                            {control("endConversation()", Box::new(move || call("endConversation", vec![])))}
                        </div>
                        <label class="demo-locale">
                            "setLocale "
                            <select on:change=move |ev| call("setLocale", vec![event_target_value(&ev).into()])>
                                <option value="en">"English"</option>
                                <option value="es">"Español"</option>
                                <option value="pt">"Português"</option>
                            </select>
                        </label>
                    </section>
                </div>
                <section class="demo-panel demo-inspector" aria-labelledby="inspector-title">
                    <h2 id="inspector-title">
                        "Event inspector " <span class="demo-count">{move || log.with(Vec::len)}</span>
                    </h2>
                    <p class="demo-hint">
                        "Every delivery, in every dialect: native "<code>"instance.on"</code>", ChatSpark, Chask callbacks, "
                        <code>"saEvents"</code>" and DOM "<code>"colloquy:*"</code>" events."
                    </p>
                    <input
                        class="demo-filter"
                        type="search"
                        placeholder="Filter by name or dialect"
                        aria-label="Filter events"
                        on:input=move |ev| set_filter.set(event_target_value(&ev))
                    />
                    <ol class="demo-events" aria-live="off">
                        <For each=shown key=|e| e.seq let:e>
                            <li class="demo-event">
                                <span class="demo-time">{format!("{:.0} ms", e.at)}</span>
                                <span class=format!("demo-api demo-api--{}", e.api)>{e.api}</span>
                                <code class="demo-name">{e.name.clone()}</code>
                                <details>
                                    <summary>"payload"</summary>
                                    <pre>{e.payload.clone()}</pre>
                                </details>
                            </li>
                        </For>
                    </ol>
                </section>
            </main>
        </div>
    }
}
