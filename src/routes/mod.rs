//! HTTP routes, one module per area. Every handler is registered through
//! `utoipa_actix_web`, so the OpenAPI document at `/api/openapi.json` lists exactly the
//! routes the server serves.
use utoipa_actix_web::service_config::ServiceConfig;

pub mod archive;
pub mod auth;
pub mod banks;
pub mod ceremony;
pub mod contests;
pub mod health;
pub mod join;
pub mod json;
pub mod judges;
pub mod judging;
pub mod live;
pub mod openapi;
pub mod parts;
pub mod records;
pub mod results;
pub mod teams;

pub use json::Json;

/// Registers every API route.
pub fn configure(cfg: &mut ServiceConfig) {
    health::configure(cfg);
    cfg.service(openapi::document);
    auth::configure(cfg);
    live::configure(cfg);
    ceremony::configure(cfg);
    records::configure(cfg);
    banks::configure(cfg);
    contests::configure(cfg);
    teams::configure(cfg);
    parts::configure(cfg);
    join::configure(cfg);
    judges::configure(cfg);
    judging::configure(cfg);
    results::configure(cfg);
    archive::configure(cfg);
    crate::web::configure(cfg);
}
