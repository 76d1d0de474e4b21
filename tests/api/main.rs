//! API tests: each starts the real server on port 0 with its own fresh database and talks
//! to it over HTTP and WebSocket. Set `TEST_DATABASE_URL=postgres://…/postgres` to run them
//! on PostgreSQL (a fresh database per test).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod archive;
mod auth;
mod backup;
mod banks;
mod buzzer;
mod ceremony;
mod cluster;
mod contests;
mod elimination;
#[allow(dead_code)] // shared by the contest tests
mod fixtures;
mod headers;
mod health;
#[allow(dead_code)] // shared helpers; not every test module uses all of them
mod helpers;
mod judges;
mod judging;
mod limits;
mod live;
mod load;
mod monitor;
mod openapi;
mod performing;
mod results;
#[allow(dead_code)] // shared with the browser tests
mod results_fixture;
mod role_matrix;
mod storage;
mod teams;
mod tls;
mod tokens;
mod whole_contest;
