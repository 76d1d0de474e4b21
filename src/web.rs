//! The pages, embedded in the binary so the server works with no internet: the landing
//! page, the contestants' join page (the target of the teams' QR codes) and phone screen,
//! the organiser's console, the hall's projector and the judge panel, with their assets
//! under `/assets/` (`web/shared/` holds the live client, the strings and the styles).
//!
//! Every file carries a strong ETag (its SHA-256) and `Cache-Control: no-cache`: a phone
//! revalidates and gets a 304 of a few bytes, and a new version of the server is never
//! mixed with an old cached script. Bodies are compressed by actix-web's `Compress` (set
//! in `startup`). Pages carry a Content-Security-Policy that allows scripts, styles and
//! sockets from this origin only, no inline script, and no framing.
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use rust_embed::Embed;

#[derive(Embed)]
#[folder = "web/"]
struct Assets;

/// What a page may load: this origin only (the hall may have no internet), no inline
/// script or style attribute, no framing, forms post only here.
pub const PAGE_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
     frame-ancestors 'none'";

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(index)
        .service(join_page)
        .service(play_page)
        .service(console_page)
        .service(projector_page)
        .service(judge_page)
        .service(asset);
}

fn not_found(name: &str) -> HttpResponse {
    HttpResponse::NotFound().json(serde_json::json!({
        "error": { "code": "not_found", "message": format!("no page {name}") }
    }))
}

/// One embedded file, or 304 when the browser already holds this version.
pub(crate) fn file(req: &HttpRequest, name: &str) -> HttpResponse {
    let Some(f) = Assets::get(name) else { return not_found(name) };
    let etag = format!("\"{}\"", hex(&f.metadata.sha256_hash()[..12]));
    let fresh = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let mut res = if fresh { HttpResponse::NotModified() } else { HttpResponse::Ok() };
    res.insert_header((header::ETAG, etag)).insert_header((header::CACHE_CONTROL, "no-cache"));
    let mime = mime_guess::from_path(name).first_or_octet_stream();
    if name.ends_with(".html") {
        res.insert_header((header::CONTENT_SECURITY_POLICY, PAGE_CSP));
        res.insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"));
    } else if name.ends_with(".js") {
        res.insert_header((header::CONTENT_TYPE, "text/javascript; charset=utf-8"));
    } else if mime.type_() == "text" {
        res.insert_header((header::CONTENT_TYPE, format!("{mime}; charset=utf-8")));
    } else {
        res.insert_header((header::CONTENT_TYPE, mime.as_ref()));
    }
    if fresh { res.finish() } else { res.body(f.data.into_owned()) }
}

/// An embedded page whose `marker` (an HTML comment in its `<head>`) is replaced by
/// `head`, markup the caller built with every value escaped ([`escape`]). Served with the
/// page's CSP and `no-cache`, without an ETag: it changes with the data.
pub(crate) fn rendered(name: &str, marker: &str, head: &str, status: actix_web::http::StatusCode) -> HttpResponse {
    let Some(f) = Assets::get(name) else { return not_found(name) };
    let html = String::from_utf8_lossy(&f.data).replacen(marker, head, 1);
    HttpResponse::build(status)
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::CONTENT_SECURITY_POLICY, PAGE_CSP))
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .body(html)
}

/// Text made safe inside HTML text and double- or single-quoted attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The landing page: what hoithi is, the way in for contestants, sign-in for staff.
#[utoipa::path(tag = "pages", responses((status = 200, description = "HTML page")))]
#[get("/")]
async fn index(req: HttpRequest) -> HttpResponse {
    file(&req, "index.html")
}

/// The contestants' join page; `?code=` pre-fills the team code (QR codes point here).
#[utoipa::path(tag = "pages", responses((status = 200, description = "HTML page")))]
#[get("/join")]
async fn join_page(req: HttpRequest) -> HttpResponse {
    file(&req, "join.html")
}

/// The contestant's phone screen for the whole contest.
#[utoipa::path(tag = "pages", responses((status = 200, description = "HTML page")))]
#[get("/play")]
async fn play_page(req: HttpRequest) -> HttpResponse {
    file(&req, "play/index.html")
}

/// The organiser's console.
#[utoipa::path(tag = "pages", responses((status = 200, description = "HTML page")))]
#[get("/console")]
async fn console_page(req: HttpRequest) -> HttpResponse {
    file(&req, "console/index.html")
}

/// The hall's big screen; the view-only token travels in the address's fragment.
#[utoipa::path(tag = "pages", params(("contest_id" = i32, Path)), responses((status = 200, description = "HTML page")))]
#[get("/projector/{contest_id}")]
async fn projector_page(req: HttpRequest, _contest_id: web::Path<String>) -> HttpResponse {
    file(&req, "projector/index.html")
}

/// The judge panel.
#[utoipa::path(tag = "pages", responses((status = 200, description = "HTML page")))]
#[get("/judge")]
async fn judge_page(req: HttpRequest) -> HttpResponse {
    file(&req, "judge/index.html")
}

/// Embedded stylesheets, scripts and images (`/assets/shared/live.js`, …). Pages are
/// reached by their own addresses, not here.
#[utoipa::path(tag = "pages", params(("file" = String, Path, description = "asset path")),
    responses((status = 200, description = "the file"), (status = 304, description = "not modified"),
        (status = 404, description = "no such asset")))]
#[get("/assets/{file:.*}")]
async fn asset(req: HttpRequest, file_path: web::Path<String>) -> HttpResponse {
    let name = file_path.into_inner();
    if name.ends_with(".html") || name.split('/').any(|s| s == ".." || s.is_empty()) {
        return not_found(&name);
    }
    file(&req, &name)
}
