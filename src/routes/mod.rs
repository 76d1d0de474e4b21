//! HTTP routes, one module per area. Every handler is registered through
//! `utoipa_actix_web`, so the OpenAPI document at `/api/openapi.json` lists exactly the
//! routes the server serves.
use utoipa_actix_web::service_config::ServiceConfig;

pub mod auth;
pub mod health;
pub mod json;
pub mod live;
pub mod openapi;

pub use json::Json;

/// Registers every API route.
pub fn configure(cfg: &mut ServiceConfig) {
    health::configure(cfg);
    cfg.service(openapi::document);
    auth::configure(cfg);
    live::configure(cfg);
}
