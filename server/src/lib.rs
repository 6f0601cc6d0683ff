//! Colloquy's reference server.
//!
//! Serves a built widget directory (`dist/`): the widget page and `embed.js` at the root, the
//! demo bundle under `/demo/` (any unknown `/demo/...` path gets the demo page, for its routes).

use axum::Router;
use axum::http::{HeaderValue, header};
use std::path::{Path, PathBuf};
use tower_http::cors::CorsLayer;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

/// What the server serves.
#[derive(Clone, Debug)]
pub struct Options {
    /// The built widget (trunk's `dist/`).
    pub dist: PathBuf,
}

/// The HTTP application.
pub fn app(options: &Options) -> Router {
    let dist: &Path = &options.dist;
    let demo = ServeDir::new(dist.join("demo")).fallback(ServeFile::new(dist.join("demo/index.html")));
    Router::new()
        .nest_service("/demo", demo)
        .fallback_service(ServeDir::new(dist))
        // The widget's files are public: inline mode imports the module and wasm cross-origin.
        .layer(CorsLayer::new().allow_origin(tower_http::cors::Any))
        // Hosts always load the newest embed.js and widget page; revalidation is cheap.
        .layer(SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, HeaderValue::from_static("no-cache")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    fn fixture() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("colloquy-server-test-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("demo")).unwrap();
        std::fs::write(dir.join("embed.js"), "/* embed */").unwrap();
        std::fs::write(dir.join("index.html"), "widget page").unwrap();
        std::fs::write(dir.join("demo/index.html"), "demo page").unwrap();
        dir
    }

    async fn get(app: Router, path: &str) -> (StatusCode, String, Option<String>) {
        let req = Request::get(path).header("origin", "https://shop.example").body(Body::empty()).unwrap();
        let res = app.oneshot(req).await.unwrap();
        assert_eq!(res.headers().get("access-control-allow-origin").map(|v| v.to_str().unwrap()), Some("*"));
        let status = res.status();
        let ctype = res.headers().get(header::CONTENT_TYPE).map(|v| v.to_str().unwrap().to_owned());
        let body = res.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8_lossy(&body).into_owned(), ctype)
    }

    #[tokio::test]
    async fn serves_the_widget_and_the_demo_routes() {
        let app = app(&Options { dist: fixture() });
        let (status, body, ctype) = get(app.clone(), "/embed.js").await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, "/* embed */"));
        assert!(ctype.unwrap().contains("javascript"));
        assert_eq!(get(app.clone(), "/").await.1, "widget page");
        assert_eq!(get(app.clone(), "/demo/").await.1, "demo page");
        assert_eq!(get(app.clone(), "/demo/gallery/open").await.1, "demo page");
        assert_eq!(get(app, "/missing.js").await.0, StatusCode::NOT_FOUND);
    }
}
