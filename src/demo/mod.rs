//! The standalone demo page: a sample product page that embeds the widget exactly as a host
//! site does (through `embed.js`), with a live event inspector and instance controls.
//!
//! This is host-page code: it talks to the widget only through the public `window.Colloquy` API.

use leptos::prelude::*;
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

/// Entry point of the demo bundle (`demo/index.html`).
pub fn start() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(DemoPage);
}

/// Commands of the demo agent, listed for visitors.
pub const COMMANDS: &[(&str, &str)] = &[("any text", "streamed echo: You said: <text>")];

fn get(obj: &JsValue, key: &str) -> JsValue {
    js_sys::Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn set(obj: &JsValue, key: &str, value: &JsValue) {
    let _ = js_sys::Reflect::set(obj, &JsValue::from_str(key), value);
}

/// Calls `instance[method](...args)`.
fn invoke(instance: &JsValue, method: &str, args: &[JsValue]) {
    if let Ok(f) = get(instance, method).dyn_into::<js_sys::Function>() {
        let args: js_sys::Array = args.iter().collect();
        let _ = f.apply(instance, &args);
    }
}

/// The demo page.
#[component]
pub fn DemoPage() -> impl IntoView {
    let (log, set_log) = signal(Vec::<Logged>::new());
    let instance = StoredValue::new_local(JsValue::UNDEFINED);
    let t0 = js_sys::Date::now();

    let record = move |api: &'static str, name: String, payload: &JsValue| {
        let payload = crate::web::js::from_js(payload)
            .map(|v: Value| serde_json::to_string_pretty(&v).unwrap_or_default())
            .unwrap_or_default();
        set_log.update(|l| {
            let seq = l.len();
            l.push(Logged { seq, at: js_sys::Date::now() - t0, api, name, payload });
        });
    };

    // Load embed.js like any host page, then start the widget.
    Effect::new(move |_| {
        let document = document();
        let script: web_sys::HtmlElement = document.create_element("script").unwrap().unchecked_into();
        let _ = script.set_attribute("src", "../embed.js");
        let on_load = Closure::once_into_js(move || {
            let colloquy = get(&window(), "Colloquy");
            let config = js_sys::Object::new();
            set(&config, "mode", &"iframe".into());
            set(&config, "title", &"Colloquy demo".into());
            let agent = js_sys::Object::new();
            set(&agent, "kind", &"demo".into());
            set(&config, "agent", &agent);
            let on_any = Closure::<dyn Fn(JsValue)>::new(move |ev: JsValue| {
                let name = get(&ev, "type").as_string().unwrap_or_default();
                record("native", name, &ev);
            })
            .into_js_value();
            let on_load = Closure::<dyn Fn(JsValue)>::new(move |inst: JsValue| {
                invoke(&inst, "on", &["*".into(), on_any.clone()]);
                instance.set_value(inst);
            })
            .into_js_value();
            set(&config, "onLoad", &on_load);
            invoke(&colloquy, "init", &[config.into()]);
        });
        script.set_onload(Some(on_load.unchecked_ref()));
        let _ = document.body().unwrap().append_child(&script);
    });

    let latest = move || -> Vec<Logged> { log.get().into_iter().rev().take(200).collect() };
    let call = move |method: &'static str, arg: JsValue| {
        instance.with_value(|i| invoke(i, method, &[arg]));
    };

    view! {
        <div class="demo">
            <header class="demo-bar">
                <span class="demo-brand">"Acme Outdoor"</span>
                <nav>
                    <a href="#">"Shoes"</a>
                    <a href="#">"Packs"</a>
                    <a href="#">"Support"</a>
                </nav>
            </header>
            <main class="demo-main">
                <section class="demo-product">
                    <div class="demo-photo" aria-hidden="true"></div>
                    <div>
                        <h1>"Ridgeline Trail Shoe"</h1>
                        <p class="demo-price">"$129"</p>
                        <p>
                            "Grippy, light and waterproof. Questions about sizing or delivery? "
                            "Open the chat in the corner: the Colloquy widget is embedded on this page "
                            "with one script tag, exactly as on a customer's site."
                        </p>
                        <button class="demo-buy" type="button">"Add to cart"</button>
                    </div>
                </section>
                <section class="demo-panel" aria-labelledby="commands-title">
                    <h2 id="commands-title">"Try the demo agent"</h2>
                    <ul class="demo-commands">
                        {COMMANDS
                            .iter()
                            .map(|(cmd, what)| {
                                view! {
                                    <li>
                                        <code>{*cmd}</code>
                                        " "
                                        {*what}
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                    <h2>"Instance methods"</h2>
                    <div class="demo-controls">
                        <button type="button" on:click=move |_| call("changeView", "mainWindow".into())>
                            "changeView(\"mainWindow\")"
                        </button>
                        <button type="button" on:click=move |_| call("changeView", "launcher".into())>
                            "changeView(\"launcher\")"
                        </button>
                        <button type="button" on:click=move |_| call("send", "Hello from the host page".into())>
                            "send(\"Hello from the host page\")"
                        </button>
                    </div>
                </section>
                <section class="demo-panel demo-inspector" aria-labelledby="inspector-title">
                    <h2 id="inspector-title">
                        "Event inspector " <span class="demo-count">{move || log.with(Vec::len)}</span>
                    </h2>
                    <ol class="demo-events" reversed>
                        <For
                            each=latest
                            key=|e| e.seq
                            let:e
                        >
                            <li class="demo-event">
                                <span class="demo-time">{format!("{:>8.0} ms", e.at)}</span>
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
