//! What `upjobpilot --version` says: the crate version, the commit the binary was built from
//! (stamped by `build.rs`) and the version of the DuckDB library linked into it.
//!
//! The DuckDB version is the bundled library's own answer, so a bug report names the engine that
//! wrote the user's file (and which DuckDB clients can read it) without opening a database.

use std::ffi::CStr;
use std::sync::LazyLock;

/// The commit this binary was built from: a short hash, `-dirty` when built from changed
/// sources, or `unknown` (see `build.rs`).
pub const COMMIT: &str = env!("UPJOBPILOT_BUILD_COMMIT");

/// The long version text clap prints after the name: `0.1.0 (commit 1a2b3c4d5e6f, DuckDB v1.4.1)`.
pub fn long() -> &'static str {
    static LONG: LazyLock<String> = LazyLock::new(|| {
        format!(
            "{} (commit {COMMIT}, DuckDB {})",
            env!("CARGO_PKG_VERSION"),
            duckdb_version()
        )
    });
    &LONG
}

/// The version of the linked DuckDB library, as DuckDB writes it (`v1.4.1`).
pub fn duckdb_version() -> String {
    // SAFETY: duckdb_library_version takes no arguments, needs no database, and returns a
    // pointer to a NUL-terminated string in the library's static data.
    unsafe { CStr::from_ptr(duckdb::ffi::duckdb_library_version()) }
        .to_string_lossy()
        .into_owned()
}
