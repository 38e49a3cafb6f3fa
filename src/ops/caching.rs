//! How long a browser may keep what it was sent. The build names the wasm, its JS and the CSS
//! after their content (`couponry.3f9a….wasm`), so those are kept for a year and never asked
//! for again; an upgrade changes the names, so old wasm never meets new HTML. Everything else
//! is checked each time (`Last-Modified` answers with 304 when nothing changed), and pages and
//! downloads, which show one person's data, are never stored by shared caches.

use axum::extract::Request;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const REVALIDATE: &str = "no-cache";
const PRIVATE: &str = "private, no-cache";

/// The `Cache-Control` an answer gets, from its path and type; `None` leaves it to the handler
/// (the API and downloads set their own or need none).
pub fn policy(path: &str, content_type: &str) -> Option<&'static str> {
    if let Some(file) = path.strip_prefix("/pkg/") {
        // `name.hash.ext` is content-addressed; `name.ext` (a debug build) is not.
        return Some(if file.split('.').count() >= 3 { IMMUTABLE } else { REVALIDATE });
    }
    if content_type.starts_with("text/html") || content_type.starts_with("text/csv") {
        return Some(PRIVATE);
    }
    let last = path.rsplit('/').next().unwrap_or_default();
    (last.contains('.') && !path.starts_with("/api/")).then_some(REVALIDATE)
}

pub async fn layer(req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let mut response = next.run(req).await;
    if response.headers().contains_key(CACHE_CONTROL) || !(response.status().is_success() || response.status() == 304) {
        return response;
    }
    let content_type = response.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if let Some(value) = policy(&path, content_type) {
        response.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static(value));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_files_are_kept_and_the_rest_checked() {
        assert_eq!(policy("/pkg/couponry.Xf3a9c1b2d.wasm", "application/wasm"), Some(IMMUTABLE));
        assert_eq!(policy("/pkg/couponry.Xf3a9c1b2d.css", "text/css"), Some(IMMUTABLE));
        assert_eq!(policy("/pkg/couponry.wasm", "application/wasm"), Some(REVALIDATE));
        assert_eq!(policy("/vendor/echarts.min.js", "text/javascript"), Some(REVALIDATE));
        assert_eq!(policy("/coupons/4", "text/html; charset=utf-8"), Some(PRIVATE));
        assert_eq!(policy("/api/v1/openapi.json", "application/json"), None);
        assert_eq!(policy("/coupons/4/redemptions.csv", "text/csv; charset=utf-8"), Some(PRIVATE));
    }
}
