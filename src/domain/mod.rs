//! Pure domain logic: no I/O, no HTTP, no SQL.
