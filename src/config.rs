//! The host's configuration object, validated field by field.
//!
//! An invalid field never stops the widget: it is reported (an `error` event with
//! `CONFIG_ERROR` and a console message naming the field) and its default is used instead.
//! The dialects' own keys are accepted too: ChatSpark's `chatbotId` and `data.actions` (seed
//! 001), Chask's `apiKey` and `organizationId` (seed 002).

use crate::i18n::Locale;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
#[cfg(test)]
use ts_rs::TS;

/// Where the widget runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(test, derive(TS))]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// In an iframe created by `embed.js` (default).
    #[default]
    Iframe,
    /// In the host page, in a shadow root.
    Inline,
}

/// When `embed.js` starts the widget (it decides; the widget only validates the value).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(test, derive(TS))]
#[serde(rename_all = "lowercase")]
pub enum Load {
    /// At once.
    Eager,
    /// After the host page's `load` event, when the page is idle (default).
    #[default]
    Idle,
    /// On the visitor's first sign of intent on the launcher.
    Interaction,
}

/// Which agent answers: a `kind`-tagged object.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(test, derive(TS))]
#[cfg_attr(test, ts(tag = "kind", rename_all = "lowercase"))]
pub enum AgentConfig {
    /// The embedded, deterministic demo agent.
    Demo {
        /// Milliseconds between streamed chunks (default 35).
        #[cfg_attr(test, ts(optional, rename = "chunkMs"))]
        chunk_ms: Option<u32>,
        /// Milliseconds the agent "thinks" (typing shown) before each reply (default 250).
        #[cfg_attr(test, ts(optional, rename = "thinkMs"))]
        think_ms: Option<u32>,
    },
    /// An agent server speaking Colloquy's HTTP + SSE protocol (docs/agent-protocol.md).
    Http {
        /// Base URL of the agent API.
        url: String,
        /// When the conversation's live event stream is open: during a handoff (default) or
        /// for the whole conversation.
        #[cfg_attr(test, ts(as = "Option<LiveEvents>", optional))]
        events: LiveEvents,
    },
}

/// When the widget keeps the conversation's live event stream open (`agent.events`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(test, derive(TS))]
#[serde(rename_all = "lowercase")]
pub enum LiveEvents {
    /// From `handoff` `queued` until the handoff ends (default).
    #[default]
    Handoff,
    /// For the whole conversation, from its first reply.
    Always,
}

impl Default for AgentConfig {
    fn default() -> Self {
        AgentConfig::Demo { chunk_ms: None, think_ms: None }
    }
}

impl AgentConfig {
    /// Reads `{kind: "demo", chunkMs?, thinkMs?}` or `{kind: "http", url, events?}`; any other key is an
    /// error. An unknown `events` value is not read here: [`Config::parse`] reports it as
    /// `agent.events` and keeps the agent.
    pub fn from_value(v: &Value) -> Result<AgentConfig, String> {
        let obj = v.as_object().ok_or("must be an object")?;
        let allowed: &[&str] = match obj.get("kind").and_then(Value::as_str) {
            Some("demo") => &["kind", "chunkMs", "thinkMs"],
            Some("http") => &["kind", "url", "events"],
            Some(other) => return Err(format!("`kind` `{other}` is not one of demo, http")),
            None => return Err("needs `kind`: \"demo\" or \"http\"".into()),
        };
        if let Some(extra) = obj.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(format!("has an unknown key `{extra}`"));
        }
        if obj.get("kind").and_then(Value::as_str) == Some("http") {
            let url = obj.get("url").and_then(Value::as_str).ok_or("needs `url` (a string)")?;
            let events = obj.get("events").and_then(|e| LiveEvents::deserialize(e).ok()).unwrap_or_default();
            return Ok(AgentConfig::Http { url: url.to_owned(), events });
        }
        let ms = |key: &str| match obj.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(n) => n
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .map(Some)
                .ok_or(format!("`{key}` must be a whole number")),
        };
        Ok(AgentConfig::Demo { chunk_ms: ms("chunkMs")?, think_ms: ms("thinkMs")? })
    }
}

/// Left or right corner.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(test, derive(TS))]
#[serde(rename_all = "lowercase")]
pub enum Position {
    /// Bottom left.
    Left,
    /// Bottom right (default).
    #[default]
    Right,
}

impl Position {
    /// `left` / `right`, as in the config and the bridge's `layout` message.
    pub fn as_str(self) -> &'static str {
        match self {
            Position::Left => "left",
            Position::Right => "right",
        }
    }
}

/// Where the conversation is kept between page loads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(test, derive(TS))]
#[serde(rename_all = "lowercase")]
pub enum Persist {
    /// `localStorage`: survives reloads and is shared by the site's tabs (default).
    #[default]
    Local,
    /// `sessionStorage`: this tab only.
    Session,
    /// Nothing is stored.
    None,
}

/// Light, dark, or following the visitor's system.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(test, derive(TS))]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    /// `prefers-color-scheme` decides (default).
    #[default]
    Auto,
    /// Always light.
    Light,
    /// Always dark.
    Dark,
}

/// Look and feel.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[cfg_attr(test, derive(TS))]
#[cfg_attr(test, ts(optional_fields))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Theme {
    /// Brand color (any CSS color without `;{}`).
    #[serde(default)]
    pub brand_color: Option<String>,
    /// Corner radius in px.
    #[serde(default)]
    pub radius: Option<f64>,
    /// Font family.
    #[serde(default)]
    pub font: Option<String>,
    /// Color scheme.
    #[serde(default)]
    #[cfg_attr(test, ts(as = "Option<Scheme>"))]
    pub scheme: Scheme,
}

/// A field of an action form or the lead form.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[cfg_attr(test, derive(TS))]
#[cfg_attr(test, ts(optional_fields))]
#[serde(deny_unknown_fields)]
pub struct Field {
    /// Key in the submitted data.
    pub key: String,
    /// Visible label (the field's accessible name).
    pub label: String,
    /// Must be filled in.
    #[serde(default)]
    #[cfg_attr(test, ts(as = "Option<bool>"))]
    pub required: bool,
    /// `text` (default), `email`, `tel`, `textarea`.
    #[serde(default, rename = "type")]
    #[cfg_attr(test, ts(as = "Option<FieldKind>"))]
    pub kind: FieldKind,
}

/// Declares a closed set of config names: an enum with `as_str()`, `parse()` and `ALL`.
macro_rules! kinds {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $wire:literal,)* }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
        #[cfg_attr(test, derive(TS))]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $wire)] $variant,)*
        }

        impl $name {
            /// Every value, in documentation order.
            pub const ALL: &[$name] = &[$($name::$variant),*];

            /// The config name.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire,)* }
            }

            /// Reads a config name.
            pub fn parse(s: &str) -> Option<$name> {
                $name::ALL.iter().copied().find(|k| k.as_str() == s)
            }

            /// The names, for error messages: `a, b, c`.
            pub fn names() -> String {
                $name::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ")
            }
        }
    };
}

kinds! {
    /// The kind of a form field: the input it renders and how it is checked.
    #[derive(Default)]
    FieldKind {
        /// One line of text.
        #[default]
        Text = "text",
        /// An email address (checked).
        Email = "email",
        /// A phone number (checked).
        Tel = "tel",
        /// Several lines of text.
        Textarea = "textarea",
    }
}

kinds! {
    /// The kind of a custom action (seed 001).
    ActionKind {
        /// A button.
        Button = "button",
        /// A form of fields.
        Form = "form",
        /// A link to an http(s) URL.
        Link = "link",
    }
}

/// A custom action (seed 001).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[cfg_attr(test, derive(TS))]
#[cfg_attr(test, ts(optional_fields))]
#[serde(deny_unknown_fields)]
pub struct Action {
    /// Id reported as `actionId`.
    pub id: String,
    /// `button`, `form` or `link`.
    #[serde(rename = "type")]
    pub kind: ActionKind,
    /// Button or link text; a form's submit button and title.
    #[serde(default)]
    pub label: Option<String>,
    /// Primary styling.
    #[serde(default)]
    #[cfg_attr(test, ts(as = "Option<bool>"))]
    pub primary: bool,
    /// Link target (`http:`/`https:` only).
    #[serde(default)]
    pub url: Option<String>,
    /// Form fields.
    #[serde(default)]
    #[cfg_attr(test, ts(as = "Option<Vec<Field>>"))]
    pub fields: Vec<Field>,
}

/// When the launcher shows (visibility rules).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[cfg_attr(test, derive(TS))]
#[cfg_attr(test, ts(optional_fields))]
#[serde(deny_unknown_fields)]
pub struct Visibility {
    /// URL patterns (`*` matches anything; a leading `!` excludes). Empty: every page.
    #[serde(default)]
    #[cfg_attr(test, ts(as = "Option<Vec<String>>"))]
    pub urls: Vec<String>,
    /// Opening hours in the visitor's local time.
    #[serde(default)]
    pub schedule: Option<Schedule>,
}

/// Opening hours.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[cfg_attr(test, derive(TS))]
#[cfg_attr(test, ts(optional_fields))]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    /// Days of the week, 0 = Sunday. Empty: every day.
    #[serde(default)]
    #[cfg_attr(test, ts(as = "Option<Vec<u8>>"))]
    pub days: Vec<u8>,
    /// Opening time, `HH:MM`.
    pub from: String,
    /// Closing time, `HH:MM` (exclusive).
    pub to: String,
}

/// Analytics options.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[cfg_attr(test, derive(TS))]
#[cfg_attr(test, ts(optional_fields))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Analytics {
    /// Analytics payloads may carry message text.
    #[serde(default)]
    #[cfg_attr(test, ts(as = "Option<bool>"))]
    pub include_text: bool,
    /// Also push analytics events to `window.dataLayer`.
    #[serde(default)]
    #[cfg_attr(test, ts(as = "Option<bool>"))]
    pub data_layer: bool,
    /// Also call `gtag("event", type, data)`.
    #[serde(default)]
    #[cfg_attr(test, ts(as = "Option<bool>"))]
    pub gtag: bool,
}

/// What the host page shows of unread messages besides the launcher's badge (both off by
/// default; applied by embed.js on the host page, in both modes).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[cfg_attr(test, derive(TS))]
#[cfg_attr(test, ts(optional_fields))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Unread {
    /// Prefix the page's title with the count: `(2) Shop`.
    #[serde(default)]
    #[cfg_attr(test, ts(as = "Option<bool>"))]
    pub title: bool,
    /// A browser notification for a reply that arrives while the page is hidden; permission is
    /// asked when the visitor first sends a message.
    #[serde(default)]
    #[cfg_attr(test, ts(as = "Option<bool>"))]
    pub notifications: bool,
}

/// Attachment limits.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[cfg_attr(test, derive(TS))]
#[cfg_attr(test, ts(optional_fields))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Attachments {
    /// Allow attaching files at all.
    #[serde(default = "yes")]
    #[cfg_attr(test, ts(as = "Option<bool>"))]
    pub enabled: bool,
    /// Largest file in bytes.
    #[serde(default = "default_max_size")]
    #[cfg_attr(test, ts(as = "Option<f64>"))]
    pub max_size: f64,
    /// Accepted MIME types (`image/*` style wildcards).
    #[serde(default = "default_types")]
    #[cfg_attr(test, ts(as = "Option<Vec<String>>"))]
    pub types: Vec<String>,
}

fn yes() -> bool {
    true
}

fn default_max_size() -> f64 {
    5.0 * 1024.0 * 1024.0
}

fn default_types() -> Vec<String> {
    ["image/*", "application/pdf", "text/plain"].map(String::from).to_vec()
}

impl Default for Attachments {
    fn default() -> Self {
        Attachments { enabled: true, max_size: default_max_size(), types: default_types() }
    }
}

/// A configuration problem: which field, and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigIssue {
    /// Dotted path of the field (`agent.kind`).
    pub field: String,
    /// What is wrong.
    pub problem: String,
}

impl ConfigIssue {
    /// The console / error message.
    pub fn message(&self) -> String {
        format!("Colloquy config: `{}` {}; using the default", self.field, self.problem)
    }
}

/// The validated configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// iframe or inline.
    pub mode: Mode,
    /// When the widget starts (applied by `embed.js`).
    pub load: Load,
    /// UI language set by the host (`None`: the browser's languages decide, see
    /// [`crate::i18n::negotiate`]).
    pub locale: Option<Locale>,
    /// The agent.
    pub agent: AgentConfig,
    /// `chatInstanceName` reported to saEvents (`name`, or ChatSpark's `chatbotId`).
    pub name: String,
    /// Window title.
    pub title: String,
    /// Greeting bubble next to the launcher (empty: none).
    pub greeting: String,
    /// Per-handler timeout in ms (`0`: none).
    pub handler_timeout: u32,
    /// Corner set by the host (`None`: the end side of the writing direction, see
    /// [`Config::side`]).
    pub position: Option<Position>,
    /// Look and feel.
    pub theme: Theme,
    /// Custom actions (seed 001).
    pub actions: Vec<Action>,
    /// Lead capture form fields.
    pub lead_fields: Vec<Field>,
    /// Visibility rules.
    pub visibility: Visibility,
    /// Analytics options.
    pub analytics: Analytics,
    /// Title marker and notifications for unread messages.
    pub unread: Unread,
    /// Bearer JWT for the agent.
    pub auth_token: Option<String>,
    /// The visitor.
    pub user: Map<String, Value>,
    /// Attachment limits.
    pub attachments: Attachments,
    /// Character limit of a message.
    pub max_length: u32,
    /// Where the conversation is kept between page loads.
    pub persist: Persist,
    /// The widget's own test hooks (`testHooks`, off by default): `send("/__panic")` panics.
    pub test_hooks: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            mode: Mode::Iframe,
            load: Load::Idle,
            locale: None,
            agent: AgentConfig::default(),
            name: "colloquy".into(),
            title: "Colloquy".into(),
            greeting: String::new(),
            handler_timeout: crate::events::dispatcher::DEFAULT_TIMEOUT_MS,
            position: None,
            theme: Theme::default(),
            actions: Vec::new(),
            lead_fields: default_lead_fields(),
            visibility: Visibility::default(),
            analytics: Analytics::default(),
            unread: Unread::default(),
            auth_token: None,
            user: Map::new(),
            attachments: Attachments::default(),
            max_length: 2000,
            persist: Persist::Local,
            test_hooks: false,
        }
    }
}

fn default_lead_fields() -> Vec<Field> {
    let field = |key: &str, label: &str, kind: FieldKind, required| Field {
        key: key.into(),
        label: label.into(),
        required,
        kind,
    };
    vec![
        field("name", "Name", FieldKind::Text, true),
        field("email", "Email", FieldKind::Email, true),
        field("phone", "Phone", FieldKind::Tel, false),
    ]
}

/// Keys the config may have. Unknown keys are reported as warnings.
pub const KNOWN: &[&str] = &[
    "mode",
    "load",
    "nonce",
    "locale",
    "agent",
    "name",
    "chatbotId",
    "title",
    "greeting",
    "handlerTimeout",
    "position",
    "theme",
    "actions",
    "data",
    "lead",
    "visibility",
    "analytics",
    "unread",
    "authToken",
    "user",
    "attachments",
    "maxLength",
    "persist",
    "apiKey",
    "organizationId",
    "callbacks",
    "onLoad",
    "testHooks",
];

impl Config {
    /// The launcher's side: `position` when the host set it, else the end of the writing
    /// direction (right in a left-to-right locale, left in Arabic and Hebrew).
    pub fn side(&self, locale: Locale) -> Position {
        self.position.unwrap_or(if locale.is_rtl() { Position::Left } else { Position::Right })
    }

    /// Reads `value`, keeping every valid field and reporting the others. Returns the config,
    /// the problems (errors), and unknown keys (warnings).
    pub fn parse(value: &Value) -> (Config, Vec<ConfigIssue>) {
        let mut issues = Vec::new();
        let mut config = Config::default();
        let empty = Map::new();
        let obj = match value {
            Value::Object(obj) => obj,
            Value::Null => &empty,
            _ => {
                issues.push(ConfigIssue { field: "config".into(), problem: "must be an object".into() });
                &empty
            }
        };
        let mut r = Reader { obj, issues: &mut issues };
        r.field("mode", &mut config.mode);
        r.field("load", &mut config.load);
        // `nonce` is applied by embed.js (inline mode); here it is only checked.
        r.field("nonce", &mut None::<String>);
        if let Some(agent) = obj.get("agent").filter(|a| !a.is_null()) {
            match AgentConfig::from_value(agent) {
                Ok(a) => config.agent = a,
                Err(problem) => r.issues.push(ConfigIssue { field: "agent".into(), problem }),
            }
            if let (AgentConfig::Http { .. }, Some(events)) = (&config.agent, agent.get("events"))
                && !events.is_null()
                && LiveEvents::deserialize(events).is_err()
            {
                let problem = format!("`{events}` is not one of \"handoff\", \"always\"");
                r.issues.push(ConfigIssue { field: "agent.events".into(), problem });
            }
        }
        r.field("chatbotId", &mut config.name);
        r.field("name", &mut config.name);
        r.field("title", &mut config.title);
        r.field("greeting", &mut config.greeting);
        r.field("handlerTimeout", &mut config.handler_timeout);
        r.field("position", &mut config.position);
        r.field("theme", &mut config.theme);
        r.field("visibility", &mut config.visibility);
        r.field("analytics", &mut config.analytics);
        r.field("unread", &mut config.unread);
        r.field("user", &mut config.user);
        r.field("attachments", &mut config.attachments);
        r.field("maxLength", &mut config.max_length);
        r.field("persist", &mut config.persist);
        r.field("testHooks", &mut config.test_hooks);
        let mut token: Option<String> = None;
        r.field("authToken", &mut token);
        config.auth_token = token;
        let mut locale: Option<String> = None;
        r.field("locale", &mut locale);
        let mut lead = LeadConfig::default();
        match obj.get("lead").and_then(|l| check_field_kinds("lead", l)) {
            Some(issue) => r.issues.push(issue),
            None => r.field("lead", &mut lead),
        }
        if let Some(fields) = lead.fields {
            config.lead_fields = fields;
        }
        // Actions: ChatSpark passes them as `data.actions` (seed 001); `actions` works too.
        let actions = obj.get("data").and_then(|d| d.get("actions")).map(|a| ("data.actions", a));
        if let Some((path, list)) = actions.or_else(|| obj.get("actions").map(|a| ("actions", a))) {
            config.actions = parse_actions(path, list, &mut issues);
        }
        // An unsupported locale is an error; the browser's languages then decide, as without one.
        if let Some(tag) = locale {
            match Locale::parse(&tag) {
                Some(l) => config.locale = Some(l),
                None => issues.push(ConfigIssue { field: "locale".into(), problem: Locale::unsupported(&tag) }),
            }
        }
        if let AgentConfig::Http { url, .. } = &config.agent
            && !(url.starts_with("https://") || url.starts_with("http://") || url.starts_with('/'))
        {
            issues.push(ConfigIssue { field: "agent.url".into(), problem: format!("`{url}` is not an http(s) URL") });
            config.agent = AgentConfig::default();
        }
        if let Some(color) = &config.theme.brand_color
            && color.contains([';', '{', '}', '<'])
        {
            issues.push(ConfigIssue { field: "theme.brandColor".into(), problem: "is not a CSS color".into() });
            config.theme.brand_color = None;
        }
        if let Some(schedule) = &config.visibility.schedule
            && (parse_hhmm(&schedule.from).is_none() || parse_hhmm(&schedule.to).is_none())
        {
            let problem = "needs `from` and `to` as HH:MM".to_owned();
            issues.push(ConfigIssue { field: "visibility.schedule".into(), problem });
            config.visibility.schedule = None;
        }
        (config, issues)
    }

    /// Keys of `value` that the config does not know (typos), for a console warning.
    pub fn unknown_keys(value: &Value) -> Vec<String> {
        value
            .as_object()
            .map(|o| o.keys().filter(|k| !KNOWN.contains(&k.as_str())).cloned().collect())
            .unwrap_or_default()
    }
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct LeadConfig {
    #[serde(default)]
    fields: Option<Vec<Field>>,
}

fn parse_actions(path: &str, list: &Value, issues: &mut Vec<ConfigIssue>) -> Vec<Action> {
    let Some(items) = list.as_array() else {
        issues.push(ConfigIssue { field: path.into(), problem: "must be an array".into() });
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let field = format!("{path}[{i}]");
        let kind = item.get("type").and_then(Value::as_str).unwrap_or_default();
        if ActionKind::parse(kind).is_none() {
            let problem = format!("`{kind}` is not one of {}", ActionKind::names());
            issues.push(ConfigIssue { field: format!("{field}.type"), problem });
            continue;
        }
        if let Some(issue) = check_field_kinds(&field, item) {
            issues.push(issue);
            continue;
        }
        match Action::deserialize(item) {
            Err(e) => issues.push(ConfigIssue { field, problem: format!("is invalid: {e}") }),
            Ok(action) => match check_action(&action) {
                Ok(()) => out.push(action),
                Err((sub, problem)) => issues.push(ConfigIssue { field: format!("{field}{sub}"), problem }),
            },
        }
    }
    out
}

fn check_action(a: &Action) -> Result<(), (&'static str, String)> {
    if a.id.is_empty() {
        return Err((".id", "must not be empty".into()));
    }
    match a.kind {
        ActionKind::Button => Ok(()),
        ActionKind::Link => match &a.url {
            Some(url) if url.starts_with("https://") || url.starts_with("http://") => Ok(()),
            Some(url) => Err((".url", format!("`{url}` is not an http(s) URL"))),
            None => Err((".url", "is required for a link".into())),
        },
        ActionKind::Form if a.fields.is_empty() => Err((".fields", "a form needs at least one field".into())),
        ActionKind::Form => Ok(()),
    }
}

/// The first field of `owner` (an action or the lead config, at `path`) whose `type` is not a
/// [`FieldKind`], as an issue naming that field.
fn check_field_kinds(path: &str, owner: &Value) -> Option<ConfigIssue> {
    let fields = owner.get("fields")?.as_array()?;
    fields.iter().enumerate().find_map(|(j, f)| {
        let kind = f.get("type")?;
        let known = kind.as_str().and_then(FieldKind::parse).is_some();
        (!known).then(|| ConfigIssue {
            field: format!("{path}.fields[{j}].type"),
            problem: format!("`{}` is not one of {}", kind.as_str().unwrap_or("?"), FieldKind::names()),
        })
    })
}

/// Minutes since midnight of `HH:MM`.
pub fn parse_hhmm(s: &str) -> Option<u32> {
    let (h, m) = s.split_once(':')?;
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    // `then`, not `then_some`: the product of a huge hour must not be computed (fuzzer find).
    (h < 24 && m < 60).then(|| h * 60 + m)
}

/// Whether `url` matches a glob `pattern` (`*` matches any run of characters). A pattern without
/// a scheme matches against the URL's path and query.
pub fn url_matches(pattern: &str, url: &str) -> bool {
    let target = if pattern.contains("://") {
        url
    } else {
        url.find("://").and_then(|i| url[i + 3..].find('/').map(|j| &url[i + 3 + j..])).unwrap_or(url)
    };
    glob(pattern.as_bytes(), target.as_bytes())
}

fn glob(p: &[u8], s: &[u8]) -> bool {
    // Iterative wildcard match with backtracking to the last `*` (linear in practice).
    let (mut pi, mut si, mut star, mut mark) = (0, 0, None, 0);
    while si < s.len() {
        if pi < p.len() && p[pi] == b'*' {
            star = Some(pi);
            mark = si;
            pi += 1;
        } else if pi < p.len() && p[pi] == s[si] {
            pi += 1;
            si += 1;
        } else if let Some(st) = star {
            pi = st + 1;
            mark += 1;
            si = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

impl Visibility {
    /// Whether the launcher shows on `url` at local `weekday` (0 = Sunday) and `minute` of day.
    pub fn allows(&self, url: &str, weekday: u8, minute: u32) -> bool {
        let includes: Vec<&str> = self.urls.iter().filter(|p| !p.starts_with('!')).map(String::as_str).collect();
        let excluded = self.urls.iter().filter_map(|p| p.strip_prefix('!')).any(|p| url_matches(p, url));
        let included = includes.is_empty() || includes.iter().any(|p| url_matches(p, url));
        let in_hours = self.schedule.as_ref().is_none_or(|s| {
            let (from, to) = (parse_hhmm(&s.from).unwrap_or(0), parse_hhmm(&s.to).unwrap_or(24 * 60));
            (s.days.is_empty() || s.days.contains(&weekday)) && minute >= from && minute < to
        });
        included && !excluded && in_hours
    }
}

struct Reader<'a> {
    obj: &'a Map<String, Value>,
    issues: &'a mut Vec<ConfigIssue>,
}

impl Reader<'_> {
    fn field<T: DeserializeOwned>(&mut self, key: &str, slot: &mut T) {
        let Some(v) = self.obj.get(key) else { return };
        if v.is_null() {
            return;
        }
        match T::deserialize(v) {
            Ok(parsed) => *slot = parsed,
            Err(e) => self.issues.push(ConfigIssue { field: key.into(), problem: format!("is invalid: {e}") }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_a_valid_config() {
        let (c, issues) = Config::parse(&json!({"mode": "iframe", "locale": "es-MX", "agent": {"kind": "demo"}}));
        assert!(issues.is_empty());
        assert_eq!(c.locale, Some(Locale::Es));
        assert_eq!(c.agent, AgentConfig::default());
    }

    #[test]
    fn without_a_locale_the_browser_decides_and_the_side_follows_the_direction() {
        let (c, issues) = Config::parse(&json!({}));
        assert!(issues.is_empty());
        assert_eq!(c.locale, None);
        assert_eq!(c.side(Locale::En), Position::Right);
        assert_eq!(c.side(Locale::Ar), Position::Left);
        let (c, _) = Config::parse(&json!({"locale": "he", "position": "right"}));
        assert_eq!(c.locale, Some(Locale::He));
        assert_eq!(c.side(Locale::He), Position::Right, "a position the host set wins");
        let (c, issues) = Config::parse(&json!({"locale": "klingon"}));
        assert_eq!(c.locale, None);
        assert_eq!(issues[0].field, "locale");
        assert_eq!(issues[0].problem, "`klingon` is not one of en, es, pt, fr, de, ar, he");
    }

    #[test]
    fn names_each_invalid_field_and_keeps_the_rest() {
        let (c, issues) =
            Config::parse(&json!({"mode": "popup", "locale": "xx", "title": "Help", "handlerTimeout": -1}));
        let fields: Vec<_> = issues.iter().map(|i| i.field.as_str()).collect();
        assert_eq!(fields, ["mode", "handlerTimeout", "locale"]);
        assert_eq!(c.title, "Help");
        assert_eq!(c.mode, Mode::Iframe);
        assert!(issues[0].message().contains("`mode`"));
    }

    #[test]
    fn a_non_object_config_is_reported() {
        let (_, issues) = Config::parse(&json!("iframe"));
        assert_eq!(issues[0].field, "config");
    }

    #[test]
    fn reads_chatspark_actions_from_seed_001() {
        let (c, issues) = Config::parse(&json!({
            "chatbotId": "YOUR_ID",
            "data": {"actions": [
                {"id": "book_demo", "type": "button", "label": "Book a demo", "primary": true},
                {"id": "contact_sales", "type": "form", "fields": [
                    {"key": "name", "label": "Name", "required": true},
                    {"key": "email", "label": "Email", "required": true, "type": "email"}
                ]}
            ]}
        }));
        assert!(issues.is_empty(), "{issues:?}");
        assert_eq!(c.name, "YOUR_ID");
        assert_eq!(c.actions.len(), 2);
        assert!(c.actions[0].primary);
        assert_eq!(c.actions[1].fields[1].kind, FieldKind::Email);
        assert_eq!(c.actions[1].fields[0].kind, FieldKind::Text);
    }

    #[test]
    fn invalid_actions_are_dropped_and_named() {
        let (c, issues) = Config::parse(&json!({"actions": [
            {"id": "site", "type": "link", "label": "Docs", "url": "javascript:alert(1)"},
            {"id": "ok", "type": "button", "label": "OK"},
            {"id": "x", "type": "carousel"},
            {"type": "button"}
        ]}));
        let fields: Vec<_> = issues.iter().map(|i| i.field.as_str()).collect();
        assert_eq!(fields, ["actions[0].url", "actions[2].type", "actions[3]"]);
        assert_eq!(c.actions.len(), 1);
    }

    #[test]
    fn a_huge_hour_is_refused_not_overflowed() {
        // Found by `cargo xtask fuzz` (config target): `then_some` multiplied before the check.
        assert_eq!(parse_hhmm("0000080000809:00"), None);
        assert_eq!(parse_hhmm("4294967295:00"), None);
        assert_eq!(parse_hhmm("23:59"), Some(23 * 60 + 59));
    }

    #[test]
    fn an_unknown_field_type_names_the_field() {
        let (c, issues) = Config::parse(&json!({
            "data": {"actions": [
                {"id": "book", "type": "form", "label": "Book", "fields": [
                    {"key": "name", "label": "Name"},
                    {"key": "day", "label": "Day", "type": "date"}
                ]},
                {"id": "ok", "type": "button", "label": "OK"}
            ]},
            "lead": {"fields": [{"key": "email", "label": "Email", "type": "mail"}]}
        }));
        let named: Vec<(&str, &str)> = issues.iter().map(|i| (i.field.as_str(), i.problem.as_str())).collect();
        assert_eq!(
            named,
            [
                ("lead.fields[0].type", "`mail` is not one of text, email, tel, textarea"),
                ("data.actions[0].fields[1].type", "`date` is not one of text, email, tel, textarea"),
            ]
        );
        assert_eq!(c.actions.len(), 1, "the form with the unknown field is left out, the rest stays");
        assert_eq!(c.lead_fields, default_lead_fields(), "the default lead form stays");
    }

    #[test]
    fn checks_agent_urls_colors_and_schedules() {
        let (c, issues) = Config::parse(&json!({
            "agent": {"kind": "http", "url": "ftp://x"},
            "theme": {"brandColor": "red;background:url(x)"},
            "visibility": {"schedule": {"from": "9am", "to": "17:00"}}
        }));
        let fields: Vec<_> = issues.iter().map(|i| i.field.as_str()).collect();
        assert_eq!(fields, ["agent.url", "theme.brandColor", "visibility.schedule"]);
        assert_eq!(c.agent, AgentConfig::default());
    }

    #[test]
    fn agents() {
        let agent = |v: Value| AgentConfig::from_value(&v);
        assert_eq!(
            agent(json!({"kind": "demo", "chunkMs": 5})),
            Ok(AgentConfig::Demo { chunk_ms: Some(5), think_ms: None })
        );
        let paced = agent(json!({"kind": "demo", "chunkMs": 0, "thinkMs": 0}));
        assert_eq!(paced, Ok(AgentConfig::Demo { chunk_ms: Some(0), think_ms: Some(0) }));
        assert!(agent(json!({"kind": "demo", "thinkMs": -1})).unwrap_err().contains("`thinkMs`"));
        let http = |events| Ok(AgentConfig::Http { url: "/api".into(), events });
        assert_eq!(agent(json!({"kind": "http", "url": "/api"})), http(LiveEvents::Handoff));
        assert_eq!(agent(json!({"kind": "http", "url": "/api", "events": "always"})), http(LiveEvents::Always));
        assert!(agent(json!({"kind": "http"})).unwrap_err().contains("`url`"));
        assert!(agent(json!({"kind": "demo", "urll": 1})).unwrap_err().contains("`urll`"));
        assert!(agent(json!({"kind": "ai"})).is_err());
    }

    #[test]
    fn agent_events_takes_two_values_and_names_the_field_otherwise() {
        let parse = |events: Value| Config::parse(&json!({"agent": {"kind": "http", "url": "/api", "events": events}}));
        let (c, issues) = parse(json!("always"));
        assert!(issues.is_empty(), "{issues:?}");
        assert_eq!(c.agent, AgentConfig::Http { url: "/api".into(), events: LiveEvents::Always });
        for bad in [json!("sometimes"), json!(true), json!("Always")] {
            let (c, issues) = parse(bad.clone());
            let fields: Vec<&str> = issues.iter().map(|i| i.field.as_str()).collect();
            assert_eq!(fields, ["agent.events"], "{bad}");
            assert!(issues[0].problem.contains("handoff"), "{:?}", issues[0]);
            // The agent is kept, with the default.
            assert_eq!(c.agent, AgentConfig::Http { url: "/api".into(), events: LiveEvents::Handoff });
        }
        // The demo agent has no live channel: `events` is an unknown key there.
        let (_, issues) = Config::parse(&json!({"agent": {"kind": "demo", "events": "always"}}));
        assert_eq!(issues[0].field, "agent");
    }

    #[test]
    fn load_takes_three_values_and_names_the_field_otherwise() {
        for (v, want) in [("eager", Load::Eager), ("idle", Load::Idle), ("interaction", Load::Interaction)] {
            let (c, issues) = Config::parse(&json!({"load": v, "nonce": "abc"}));
            assert!(issues.is_empty(), "{v}: {issues:?}");
            assert_eq!(c.load, want);
        }
        assert_eq!(Config::parse(&json!({})).0.load, Load::Idle);
        let (c, issues) = Config::parse(&json!({"load": "lazy", "nonce": 7}));
        assert_eq!(c.load, Load::Idle);
        let fields: Vec<_> = issues.iter().map(|i| i.field.as_str()).collect();
        assert_eq!(fields, ["load", "nonce"]);
        assert!(Config::unknown_keys(&json!({"load": "idle", "nonce": "n"})).is_empty());
    }

    #[test]
    fn unknown_keys_are_listed() {
        assert_eq!(Config::unknown_keys(&json!({"title": "x", "titel": "y", "apiKey": "k"})), ["titel"]);
    }

    #[test]
    fn url_patterns() {
        assert!(url_matches("/products/*", "https://shop.example/products/shoe?x=1"));
        assert!(!url_matches("/products/*", "https://shop.example/checkout"));
        assert!(url_matches("https://shop.example/*", "https://shop.example/a"));
        assert!(url_matches("*", "https://a/"));
        assert!(url_matches("/a*b*c", "http://h/aXXbYYc"));
        assert!(!url_matches("/a*b*c", "http://h/aXXbYY"));
    }

    #[test]
    fn visibility_rules() {
        let v = Visibility {
            urls: vec!["/products/*".into(), "!/products/secret*".into()],
            schedule: Some(Schedule { days: vec![1, 2, 3, 4, 5], from: "09:00".into(), to: "17:30".into() }),
        };
        let monday_10 = (1, 10 * 60);
        assert!(v.allows("https://s/products/a", monday_10.0, monday_10.1));
        assert!(!v.allows("https://s/products/secret-x", 1, 600));
        assert!(!v.allows("https://s/about", 1, 600));
        assert!(!v.allows("https://s/products/a", 0, 600), "Sunday");
        assert!(!v.allows("https://s/products/a", 1, 17 * 60 + 30), "closing time is exclusive");
        assert!(Visibility::default().allows("https://anything/", 0, 0));
    }
}
