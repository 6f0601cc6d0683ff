//! The built widget's files: the widget page with its security headers and the allowed-origins
//! meta, precompressed `.br`/`.gz` siblings (on-the-fly compression as the fallback), cache
//! headers by name (hashed names are immutable), correct types, and no dotfiles.

use crate::errors::error;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tower_http::compression::CompressionLayer;
use tower_http::cors::CorsLayer;
use tower_http::services::{ServeDir, ServeFile};

/// `Cache-Control` of files whose name carries a content hash.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// `Cache-Control` of stable names (`embed.js`, the widget page): hosts get a new release within
/// five minutes.
pub const SHORT: &str = "public, max-age=300";

/// Whether a file name carries trunk's content hash: `<stem>-<hex>.<ext>` or
/// `<stem>-<hex>_bg.wasm`, the hash lowercase hex of 8 to 16 digits (trunk writes a 64-bit
/// seahash with `{:x}`, zero-padded to 16 for copied assets).
pub fn is_hashed(name: &str) -> bool {
    let Some((stem, _ext)) = name.split_once('.') else { return false };
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    let Some((_, hash)) = stem.rsplit_once('-') else { return false };
    (8..=16).contains(&hash.len()) && hash.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The widget page's `Content-Security-Policy` for these allowed embedder origins (none: only
/// this origin may frame it) and the origins of agent APIs elsewhere (`connect-src`, with the
/// embedders').
pub fn widget_csp(origins: &[String], agent_origins: &[String]) -> String {
    let ancestors = if origins.is_empty() { "'self'".to_owned() } else { origins.join(" ") };
    let mut connect = vec!["'self'".to_owned()];
    for origin in origins.iter().chain(agent_origins) {
        if !connect.contains(origin) {
            connect.push(origin.clone());
        }
    }
    let connect = connect.join(" ");
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data: blob:; \
         connect-src {connect}; frame-ancestors {ancestors}; base-uri 'none'; object-src 'none'"
    )
}

/// The widget page with the allowed origins in `<meta name="colloquy-allowed-origins">` (right
/// after `<head>`), which the widget reads to refuse unlisted hosts. Without origins, unchanged.
pub fn inject_origins(page: &str, origins: &[String]) -> String {
    if origins.is_empty() {
        return page.to_owned();
    }
    let meta = format!("<meta name=\"colloquy-allowed-origins\" content=\"{}\" />", origins.join(" "));
    match page.find("<head>") {
        Some(at) => format!("{}{meta}{}", &page[..at + 6], &page[at + 6..]),
        None => format!("{meta}{page}"),
    }
}

/// The agent console's `Content-Security-Policy`: its own files and API only, framed by no one.
pub const CONSOLE_CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'; \
     form-action 'none'";

/// `/console/` and `/console/index.html`: the agent console's page (built into
/// `dist/console/`) with its CSP; `404` when the console was not built.
async fn console_page(State(file): State<Arc<PathBuf>>) -> Response {
    let Ok(html) = tokio::fs::read_to_string(file.as_path()).await else {
        return error(StatusCode::NOT_FOUND, "NOT_FOUND", "the agent console is not built (cargo xtask build)");
    };
    let headers = [
        (header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8")),
        (header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONSOLE_CSP)),
    ];
    (headers, html).into_response()
}

struct Page {
    file: PathBuf,
    origins: Vec<String>,
    agent_origins: Vec<String>,
}

/// `/` and `/index.html`. The widget page (its body is marked `data-colloquy="widget"`) gets the
/// meta and the CSP; another `index.html` (a test site served by the same binary) is sent as is.
async fn widget_page(State(page): State<Arc<Page>>) -> Response {
    let Ok(html) = tokio::fs::read_to_string(&page.file).await else {
        return error(StatusCode::NOT_FOUND, "NOT_FOUND", "no index.html");
    };
    let html_type = (header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    if !html.contains("data-colloquy=\"widget\"") {
        return ([html_type], html).into_response();
    }
    let csp = HeaderValue::from_str(&widget_csp(&page.origins, &page.agent_origins)).expect("origins are validated");
    ([html_type, (header::CONTENT_SECURITY_POLICY, csp)], inject_origins(&html, &page.origins)).into_response()
}

/// No dotfiles (`.trunk-lock`, `.git`, ...); `.ts` as text (mime_guess says video/mp2t); cache
/// headers by name.
async fn file_rules(request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    if path.split('/').any(|segment| segment.starts_with('.')) {
        return error(StatusCode::NOT_FOUND, "NOT_FOUND", "not found");
    }
    let mut response = next.run(request).await;
    let status = response.status();
    if !(status.is_success() || status == StatusCode::NOT_MODIFIED) {
        return response;
    }
    let name = path.rsplit('/').next().unwrap_or_default();
    let headers = response.headers_mut();
    if name.ends_with(".ts") {
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    }
    let cache = if is_hashed(name) { IMMUTABLE } else { SHORT };
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}

fn dir(path: &Path) -> ServeDir {
    ServeDir::new(path).precompressed_br().precompressed_gzip()
}

/// The routes of the built widget in `dist` (`origins`: the allowed embedders; `agent_origins`:
/// agent APIs on other origins the widget page may call).
pub fn router(dist: &Path, origins: &[String], agent_origins: &[String]) -> Router {
    let page = Arc::new(Page {
        file: dist.join("index.html"),
        origins: origins.to_vec(),
        agent_origins: agent_origins.to_vec(),
    });
    let demo_page = ServeFile::new(dist.join("demo/index.html")).precompressed_br().precompressed_gzip();
    let demo = dir(&dist.join("demo")).fallback(demo_page);
    let console = Router::new()
        .route("/console/", get(console_page))
        .route("/console/index.html", get(console_page))
        .route("/console", get(|| async { axum::response::Redirect::permanent("console/") }))
        .with_state(Arc::new(dist.join("console/index.html")));
    Router::new()
        .route("/", get(widget_page))
        .route("/index.html", get(widget_page))
        .with_state(page)
        .merge(console)
        .nest_service("/demo", demo)
        .fallback_service(dir(dist))
        .layer(middleware::from_fn(file_rules))
        // Already-compressed files (`.br`/`.gz` siblings) pass through; server-sent events are
        // never compressed (tower-http's default predicate).
        .layer(CompressionLayer::new())
        // The widget's files are public: inline mode imports the module and wasm cross-origin.
        .layer(CorsLayer::new().allow_origin(tower_http::cors::Any))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trunk_hashed_names_are_recognised() {
        assert!(is_hashed("colloquy-0123456789abcdef.js"));
        assert!(is_hashed("colloquy-9f1c2e3d4b5a6978_bg.wasm"));
        assert!(is_hashed("widget-00ab12cd34ef5678.css"));
        assert!(is_hashed("colloquy-3a9c1f2e_bg.wasm"), "a {{:x}} hash may be shorter than 16");
        assert!(!is_hashed("embed.js"));
        assert!(!is_hashed("index.html"));
        assert!(!is_hashed("colloquy.d.ts"));
        assert!(!is_hashed("colloquy-1.js"));
        assert!(!is_hashed("my-widget.css"));
        assert!(!is_hashed("colloquy-0123456789ABCDEF.js"));
    }

    #[test]
    fn the_meta_goes_into_the_head_and_only_with_origins() {
        let page = "<html><head><title>x</title></head></html>";
        let origins = vec!["https://a.example".to_owned(), "https://b.example".to_owned()];
        assert_eq!(
            inject_origins(page, &origins),
            "<html><head><meta name=\"colloquy-allowed-origins\" content=\"https://a.example https://b.example\" /><title>x</title></head></html>"
        );
        assert_eq!(inject_origins(page, &[]), page);
    }

    #[test]
    fn the_csp_frames_only_for_the_allowed_origins() {
        let csp = widget_csp(&["https://a.example".to_owned()], &["https://api.example".to_owned()]);
        assert!(csp.contains("frame-ancestors https://a.example;"));
        assert!(csp.contains("connect-src 'self' https://a.example https://api.example;"));
        assert!(csp.contains("script-src 'self' 'wasm-unsafe-eval';"));
        assert!(csp.contains("style-src 'self';") && csp.starts_with("default-src 'self';"));
        assert!(!csp.contains("unsafe-inline") && !csp.contains(" 'unsafe-eval'"));
        assert!(widget_csp(&[], &[]).contains("frame-ancestors 'self';"));
    }
}
