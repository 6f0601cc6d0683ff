//! `public/colloquy.d.ts`: TypeScript definitions of the whole host API, generated from the Rust
//! types (ts-rs) by a native test. The test fails when the committed file is stale;
//! `cargo xtask types` rewrites it.
//!
//! Everything lives in the global `Colloquy` namespace (types) next to the `Colloquy`, `ChatSpark`,
//! `ChaskWidget` and `saEvents` globals, so a plain host script can use it with
//! `/// <reference path="colloquy.d.ts" />` or a tsconfig `include`.

use crate::config::{
    Action, ActionKind, AgentConfig, Analytics, Attachments, Field, FieldKind, LiveEvents, Mode, Persist, Position,
    Schedule, Scheme, Theme, Unread, Visibility,
};
use crate::events::catalogue::*;
use crate::events::dialects::{
    AnalyticsEvent, ChaskChatMessage, ChatSparkActionTriggered, ChatSparkAgentResponse, ChatSparkConversationStarted,
    ChatSparkUserMessage, CustomEvent, SaEvent,
};
use ts_rs::{Config, TS};

fn decl<T: TS>(cfg: &Config) -> String {
    let docs = T::docs().map(|d| format!("{d}\n")).unwrap_or_default();
    format!("{docs}{}", T::decl(cfg))
}

/// The generated file.
pub fn definitions() -> String {
    let cfg = Config::default();
    let types = [
        decl::<serde_json::Value>(&cfg),
        decl::<ViewState>(&cfg),
        decl::<ViewChangeReason>(&cfg),
        decl::<ViewChange>(&cfg),
        decl::<ViewProperties>(&cfg),
        decl::<Attachment>(&cfg),
        decl::<MessageInput>(&cfg),
        decl::<OutgoingMessage>(&cfg),
        decl::<ContentItem>(&cfg),
        decl::<AgentKind>(&cfg),
        decl::<AgentMessage>(&cfg),
        decl::<Status>(&cfg),
        decl::<MessageState>(&cfg),
        decl::<ThreadMessage>(&cfg),
        decl::<DeltaItem>(&cfg),
        decl::<Delta>(&cfg),
        decl::<StreamDelta>(&cfg),
        decl::<ActionSource>(&cfg),
        decl::<ActionTriggered>(&cfg),
        decl::<EndReason>(&cfg),
        decl::<Feedback>(&cfg),
        decl::<ErrorCode>(&cfg),
        decl::<WidgetError>(&cfg),
        decl::<Event>(&cfg),
        decl::<CustomEvent>(&cfg),
        decl::<AnalyticsEvent>(&cfg),
        decl::<ChatSparkUserMessage>(&cfg),
        decl::<ChatSparkAgentResponse>(&cfg),
        decl::<ChatSparkConversationStarted>(&cfg),
        decl::<ChatSparkActionTriggered>(&cfg),
        decl::<ChaskChatMessage>(&cfg),
        decl::<SaEvent>(&cfg),
        decl::<Mode>(&cfg),
        decl::<LiveEvents>(&cfg),
        decl::<AgentConfig>(&cfg),
        decl::<Position>(&cfg),
        decl::<Scheme>(&cfg),
        decl::<Theme>(&cfg),
        decl::<FieldKind>(&cfg),
        decl::<Field>(&cfg),
        decl::<ActionKind>(&cfg),
        decl::<Action>(&cfg),
        decl::<Visibility>(&cfg),
        decl::<Schedule>(&cfg),
        decl::<Analytics>(&cfg),
        decl::<Unread>(&cfg),
        decl::<Attachments>(&cfg),
        decl::<Persist>(&cfg),
    ];
    let mut out = String::from(
        "// Colloquy host API. GENERATED from the Rust types by `cargo xtask types`; do not edit.\n\
         // Use from a host script: /// <reference path=\"colloquy.d.ts\" />\n\n\
         declare namespace Colloquy {\n",
    );
    for t in types {
        for line in t.lines().map(str::trim_end).filter(|l| !l.is_empty()) {
            out.push_str("  ");
            out.push_str(line);
            out.push('\n');
        }
        out.push('\n');
    }
    out.push_str(HOST_API);
    // Every canonical event is also a DOM event on the host element.
    out.push_str("\ninterface HTMLElementEventMap {\n");
    for name in crate::events::EVENT_NAMES {
        out.push_str(&format!("  \"colloquy:{name}\": CustomEvent<Colloquy.EventOf<\"{name}\">>;\n"));
    }
    out.push_str("}\n");
    out
}

/// The host API around the payload types: event maps per dialect, the instance, the config, and
/// the globals. Names listed here are checked against the Rust lists in the tests below.
const HOST_API: &str = r#"  /** A canonical event by name (the payload of `instance.on(name, fn)`). */
  type EventOf<K extends Event["type"]> = Extract<Event, { type: K }>;

  /** What `instance.on/once/off` handlers receive, by event name. */
  type EventMap = { [K in Event["type"]]: EventOf<K> } & {
    /** Adds the element the host renders into (a detached mirror when cross-origin, see docs). */
    userDefinedResponse: EventOf<"userDefinedResponse"> & { hostElement: HTMLElement };
    /** watsonx: a button inside a response was clicked (`customEventName: "buttonItemClicked"`). */
    customEvent: CustomEvent;
    /** Analytics, the Chask event types; message text only with `analytics.includeText`. */
    analytics: AnalyticsEvent;
    /** Every canonical event. */
    "*": Event;
  };

  /** A handler; a returned promise is awaited (with the per-handler timeout). */
  type Handler<T> = (event: T) => void | Promise<void>;

  /** ChatSpark `.on(name, fn)` events (seeds 000, 001). */
  interface ChatSparkEventMap {
    "user-message": ChatSparkUserMessage;
    "agent-response": ChatSparkAgentResponse;
    "conversation-started": ChatSparkConversationStarted;
    "lead-captured": { email?: string; name?: string; phone?: string; [field: string]: string | undefined };
    "action-triggered": ChatSparkActionTriggered;
  }

  /** Chask `ChatMessage` with its `timestamp` as a `Date` (seed 002). */
  type ChaskMessage = Omit<ChaskChatMessage, "timestamp"> & { timestamp: Date };

  /** Chask `AnalyticsEvent` with its `timestamp` as a `Date` (seed 002). */
  type ChaskAnalyticsEvent = Omit<AnalyticsEvent, "timestamp"> & { timestamp: Date };

  /** Chask callbacks (seed 002). */
  interface ChaskCallbacks {
    onReady?: () => void | Promise<void>;
    onOpen?: () => void | Promise<void>;
    onClose?: () => void | Promise<void>;
    onMessageSent?: (message: ChaskMessage) => void | Promise<void>;
    onMessageReceived?: (message: ChaskMessage) => void | Promise<void>;
    onError?: (error: WidgetError) => void | Promise<void>;
    onUserUpdated?: (user: Record<string, any>) => void | Promise<void>;
    onAnalyticsEvent?: (event: ChaskAnalyticsEvent) => void | Promise<void>;
  }

  /** `changeView`'s argument. */
  type ViewTarget = "launcher" | "mainWindow" | Partial<ViewState>;

  /** A running widget. Methods resolve when the widget accepted the call. */
  interface Instance {
    /** Registers a handler; returns the function that removes it. */
    on<K extends keyof EventMap>(name: K, handler: Handler<EventMap[K]>): () => void;
    /** Registers a handler that runs once. */
    once<K extends keyof EventMap>(name: K, handler: Handler<EventMap[K]>): void;
    /** Removes a handler (the same function reference). */
    off<K extends keyof EventMap>(name: K, handler: Handler<EventMap[K]>): void;
    changeView(view: ViewTarget): Promise<void>;
    send(text: string): Promise<void>;
    restartConversation(): Promise<void>;
    loadThread(messages: ThreadMessage[]): Promise<void>;
    updateUser(user: Record<string, any>): Promise<void>;
    updateAuthToken(token: string | null): Promise<void>;
    setLocale(locale: "en" | "es" | "pt" | "fr" | "de" | "ar" | "he" | string): Promise<void>;
    setMaximized(maximized: boolean): Promise<void>;
    endConversation(): Promise<void>;
    /** Removes the widget from the page. */
    destroy(): void;
    /** The element `colloquy:<name>` DOM events are dispatched on. */
    readonly hostElement: HTMLElement;
  }

  /** `Colloquy.init(config)`; ChatSpark's and Chask's keys are accepted too. */
  interface Config {
    mode?: Mode;
    /** When embed.js starts the widget (default "idle"; docs/host-api.md, Loading). */
    load?: "eager" | "idle" | "interaction";
    /** Inline mode: the CSP nonce embed.js puts on what it adds to the page. */
    nonce?: string;
    /** "en" | "es" | "pt" | "fr" | "de" | "ar" | "he" (a tag such as "es-MX" works); default: the browser's languages. */
    locale?: string;
    agent?: AgentConfig;
    /** `chatInstanceName` for saEvents. */
    name?: string;
    title?: string;
    greeting?: string;
    /** Per-handler timeout in ms (default 10000; 0: none). */
    handlerTimeout?: number;
    /** The launcher's corner; default: right, or left in a right-to-left locale (ar, he). */
    position?: Position;
    theme?: Theme;
    actions?: Action[];
    lead?: { fields?: Field[] };
    visibility?: Visibility;
    analytics?: Analytics;
    /** The page title's count and browser notifications of unread messages (both off by default). */
    unread?: Unread;
    /** Bearer JWT for the agent; refreshed through `authTokenNeeded`. */
    authToken?: string;
    user?: Record<string, any>;
    attachments?: Attachments;
    maxLength?: number;
    /** Where the conversation is kept between page loads (default "local"). */
    persist?: Persist;
    /** The widget's own test hooks (default false; never in production): `send("/__panic")` panics. */
    testHooks?: boolean;
    /** Called with the instance before the widget starts: register handlers here. */
    onLoad?: (instance: Instance) => void;
    /** ChatSpark (seed 001). */
    chatbotId?: string;
    data?: { actions?: Action[] };
    /** Chask (seed 002). */
    apiKey?: string;
    organizationId?: string;
    callbacks?: ChaskCallbacks;
  }

  interface Static {
    init(config?: Config): Promise<Instance>;
    readonly version: number;
  }

  interface ChatSparkStatic {
    (config: Config): Instance;
    on<K extends keyof ChatSparkEventMap>(name: K, handler: Handler<ChatSparkEventMap[K]>): () => void;
    off<K extends keyof ChatSparkEventMap>(name: K, handler: Handler<ChatSparkEventMap[K]>): void;
  }

  interface ChaskStatic {
    init(config: Config): Instance;
  }

  /** saEvents (seed 003): history since page load is replayed first. */
  interface SaEvents {
    subscribe(handler: Handler<SaEvent>): () => void;
  }
}

declare var Colloquy: Colloquy.Static;
declare var ChatSpark: Colloquy.ChatSparkStatic;
declare var ChaskWidget: Colloquy.ChaskStatic;
declare var saEvents: Colloquy.SaEvents;

interface Window {
  Colloquy: Colloquy.Static;
  ChatSpark: Colloquy.ChatSparkStatic;
  ChaskWidget: Colloquy.ChaskStatic;
  saEvents: Colloquy.SaEvents;
}
"#;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::dialects::{Api, names};

    const PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/public/colloquy.d.ts");

    #[test]
    fn the_committed_definitions_are_current() {
        let fresh = definitions();
        if std::env::var_os("COLLOQUY_BLESS").is_some() {
            std::fs::write(PATH, &fresh).expect("write public/colloquy.d.ts");
            return;
        }
        let committed = std::fs::read_to_string(PATH).unwrap_or_default();
        assert!(committed == fresh, "public/colloquy.d.ts is stale: run `cargo xtask types`");
    }

    #[test]
    fn the_host_api_names_every_method_and_dialect_name() {
        let api = definitions();
        for method in crate::methods::METHODS {
            assert!(api.contains(&format!("    {method}(")), "Instance.{method}");
        }
        for name in names(Api::ChatSpark) {
            assert!(api.contains(&format!("\"{name}\":")), "ChatSpark {name}");
        }
        for name in names(Api::Chask) {
            assert!(api.contains(&format!("{name}?:")), "Chask {name}");
        }
        for name in crate::events::EVENT_NAMES {
            assert!(api.contains(&format!("\"{name}\"")), "event {name}");
        }
    }

    /// `HTMLElementEventMap` has one `colloquy:<name>` entry per variant of the `Event` enum: the
    /// `type` literals ts-rs reads from the enum itself are exactly `EVENT_NAMES`, and the map
    /// lists exactly those (a new event that is not in `EVENT_NAMES` fails here).
    #[test]
    fn the_dom_event_map_covers_every_event_variant() {
        let event = decl::<Event>(&Config::default());
        let mut variants: Vec<&str> =
            event.split("\"type\": \"").skip(1).filter_map(|rest| rest.split_once('"').map(|(name, _)| name)).collect();
        variants.sort_unstable();
        let mut names = crate::events::EVENT_NAMES.to_vec();
        names.sort_unstable();
        let count = names.len();
        names.dedup();
        assert_eq!(names.len(), count, "EVENT_NAMES repeats a name");
        assert_eq!(variants, names, "the Event enum and EVENT_NAMES drifted apart");
        let api = definitions();
        let start = api.find("interface HTMLElementEventMap {").expect("HTMLElementEventMap");
        let body = &api[start..start + api[start..].find("\n}\n").expect("end of HTMLElementEventMap")];
        let mut mapped: Vec<&str> = body
            .lines()
            .filter_map(|l| l.trim().strip_prefix("\"colloquy:").and_then(|l| l.split_once('"')).map(|(n, _)| n))
            .collect();
        mapped.sort_unstable();
        assert_eq!(mapped, names, "HTMLElementEventMap does not list every event");
    }

    /// The `Config` interface lists exactly the keys the config reader knows.
    #[test]
    fn the_config_interface_matches_the_config_keys() {
        let api = definitions();
        let start = api.find("  interface Config {").expect("Config interface");
        let body = &api[start..start + api[start..].find("\n  }\n").expect("end of Config")];
        let declared: Vec<&str> = body
            .lines()
            .filter_map(|l| l.strip_prefix("    ").and_then(|l| l.split_once("?:")).map(|(k, _)| k))
            .filter(|k| !k.starts_with(['/', '*']))
            .collect();
        let mut known: Vec<&str> = crate::config::KNOWN.to_vec();
        let mut declared_sorted = declared.clone();
        known.sort_unstable();
        declared_sorted.sort_unstable();
        assert_eq!(declared_sorted, known, "the Config interface and config::KNOWN drifted apart");
    }
}
