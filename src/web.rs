//! Static pages, embedded in the binary so the server works with no internet.
