//! Queries and writes. Every function takes `&impl ConnectionTrait`, so it works on the
//! pool or inside a transaction; none knows about HTTP.
pub mod accounts;
pub mod archive;
pub mod banks;
pub mod buzzer;
pub mod contests;
pub mod elimination;
pub mod judges;
pub mod judging;
pub mod live;
pub mod parts;
pub mod results;
pub mod settings;
pub mod teams;
