//! Browser tests: the real server, real pages in headless Chromium. Screenshots of every
//! step land in `target/screenshots/`; look at them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[allow(dead_code)]
mod harness;
#[allow(dead_code)]
#[path = "../api/helpers.rs"]
mod helpers;

mod archive;
mod buzzer;
mod ceremony;
mod console;
mod elimination;
#[allow(dead_code)]
#[path = "../api/fixtures.rs"]
mod fixtures;
mod judge;
mod pages;
mod phone;
mod projector;
mod results;
#[allow(dead_code)]
#[path = "../api/results_fixture.rs"]
mod results_fixture;
mod scenario;
mod stage;
