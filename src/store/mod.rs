//! Queries and writes. Every function takes `&impl ConnectionTrait`, so it works on the
//! pool or inside a transaction; none knows about HTTP.
pub mod accounts;
pub mod live;
pub mod settings;
