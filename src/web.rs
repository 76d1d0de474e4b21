//! Static pages, embedded in the binary so the server works with no internet: the
//! landing page, the contestants' join page (the target of the teams' QR codes) and
//! their assets.
use actix_web::{HttpResponse, get, web};
use rust_embed::Embed;

#[derive(Embed)]
#[folder = "web/"]
struct Assets;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(index).service(join_page).service(asset);
}

fn page(name: &str) -> HttpResponse {
    match Assets::get(name) {
        Some(f) => HttpResponse::Ok()
            .content_type(mime_guess::from_path(name).first_or_octet_stream().as_ref())
            .insert_header(("Cache-Control", "no-cache"))
            .body(f.data.into_owned()),
        None => HttpResponse::NotFound().json(serde_json::json!({
            "error": { "code": "not_found", "message": format!("no page {name}") }
        })),
    }
}

/// The landing page.
#[utoipa::path(tag = "pages", responses((status = 200, description = "HTML page")))]
#[get("/")]
async fn index() -> HttpResponse {
    page("index.html")
}

/// The contestants' join page; `?code=` pre-fills the team code (QR codes point here).
#[utoipa::path(tag = "pages", responses((status = 200, description = "HTML page")))]
#[get("/join")]
async fn join_page() -> HttpResponse {
    page("join.html")
}

/// Embedded stylesheets, scripts and images.
#[utoipa::path(tag = "pages", params(("file" = String, Path, description = "asset file name")),
    responses((status = 200, description = "the file"), (status = 404, description = "no such asset")))]
#[get("/assets/{file}")]
async fn asset(file: web::Path<String>) -> HttpResponse {
    if file.ends_with(".html") { page("") } else { page(&file) }
}
