//! The host's configuration object, validated field by field.
//!
//! An invalid field never stops the widget: it is reported (an `error` event with
//! `CONFIG_ERROR` and a console message naming the field) and its default is used instead.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// Where the widget runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// In an iframe created by `embed.js` (default).
    #[default]
    Iframe,
    /// In the host page, in a shadow root.
    Inline,
}

/// Which agent answers.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum AgentConfig {
    /// The embedded, deterministic demo agent.
    #[default]
    Demo,
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
    /// UI language (`en`, `es`, `pt`).
    pub locale: String,
    /// The agent.
    pub agent: AgentConfig,
    /// `chatInstanceName` reported to saEvents.
    pub name: String,
    /// Window title.
    pub title: String,
    /// Per-handler timeout in ms (`0`: none).
    pub handler_timeout: u32,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            mode: Mode::Iframe,
            locale: "en".into(),
            agent: AgentConfig::Demo,
            name: "colloquy".into(),
            title: "Colloquy".into(),
            handler_timeout: crate::events::dispatcher::DEFAULT_TIMEOUT_MS,
        }
    }
}

/// Supported locales.
pub const LOCALES: &[&str] = &["en", "es", "pt"];

impl Config {
    /// Reads `value`, keeping every valid field and reporting the others.
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
        r.field("agent", &mut config.agent);
        r.field("name", &mut config.name);
        r.field("title", &mut config.title);
        r.field("handlerTimeout", &mut config.handler_timeout);
        let mut locale = config.locale.clone();
        r.field("locale", &mut locale);
        let base = locale.split(['-', '_']).next().unwrap_or("").to_ascii_lowercase();
        if LOCALES.contains(&base.as_str()) {
            config.locale = base;
        } else {
            issues
                .push(ConfigIssue { field: "locale".into(), problem: format!("`{locale}` is not one of en, es, pt") });
        }
        (config, issues)
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
        assert_eq!(c.locale, "es");
        assert_eq!(c.agent, AgentConfig::Demo);
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
}
