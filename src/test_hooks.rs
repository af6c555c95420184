//! Test hooks of a debug build, and nothing else: the crash tests stop a process at a named point
//! of its load and SIGKILL it there, and make a small load commit in several pieces; the error
//! tests make one step of a sync fail.
//!
//! - `UPJOBPILOT_PAUSE_AT=<point>:<n>` with `UPJOBPILOT_PAUSE_FILE=<path>`: the `n`-th time the
//!   process reaches `<point>` it writes `<path>` and sleeps until it is killed.
//! - `UPJOBPILOT_LOAD_BATCH_BYTES=<bytes>`: the load commits every `<bytes>` of pages instead of
//!   every tenth of `storage.memory_limit`.
//!
//! - `UPJOBPILOT_HOLD_EXPORT=<file name>`: the export meets that file held open by another
//!   program, as on Windows (see [`held`]).
//! - `UPJOBPILOT_FAIL_AT=<step>`: [`fail`] returns an error at that step of a sync (`load`,
//!   `clear-spool`, `watermarks`, `scores`, `retention`) or of a renormalize (`renormalize`);
//!   `merge-out-of-memory`, `daily-out-of-memory`, `signals-out-of-memory`,
//!   `export-<view>-out-of-memory`: the load's first merge, the daily aggregates, the signals'
//!   choice of postings, or the first file of the view's export, fails once as DuckDB does when
//!   it runs out of memory ([`out_of_memory_once`]); `merge-out-of-memory:<n>`: the `n`-th merge.
//!
//! A release build ignores them all: [`point`] does nothing, [`batch_bytes`] is `None`, [`fail`]
//! never fails. The tests that need them are skipped in release builds.

/// Marks a point of the work (see the module's documentation).
pub fn point(name: &str) {
    #[cfg(debug_assertions)]
    hooks::point(name);
    #[cfg(not(debug_assertions))]
    let _ = name;
}

/// An error where `UPJOBPILOT_FAIL_AT` names `step`, in a debug build.
pub fn fail(step: &str) -> Result<(), duckdb::Error> {
    #[cfg(debug_assertions)]
    if std::env::var("UPJOBPILOT_FAIL_AT").as_deref() == Ok(step) {
        return Err(duckdb::Error::ToSqlConversionFailure(
            format!("injected failure at {step} (UPJOBPILOT_FAIL_AT)").into(),
        ));
    }
    #[cfg(not(debug_assertions))]
    let _ = step;
    Ok(())
}

/// DuckDB's out-of-memory error the first time the process reaches `step` while
/// `UPJOBPILOT_FAIL_AT` names `<step>-out-of-memory`, or the `n`-th time with
/// `<step>-out-of-memory:<n>`, in a debug build: the load's retry with a higher limit is tested
/// with it (on the sandbox's market the load fits in the smallest limit the config accepts,
/// spilling to disk).
pub fn out_of_memory_once(step: &str) -> Result<(), duckdb::Error> {
    #[cfg(debug_assertions)]
    {
        static REACHED: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let at = std::env::var("UPJOBPILOT_FAIL_AT").unwrap_or_default();
        let (at, nth) = at
            .split_once(':')
            .map_or((at.as_str(), Some(1)), |(at, n)| (at, n.parse().ok()));
        if at == format!("{step}-out-of-memory")
            && Some(REACHED.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1) == nth
        {
            return Err(duckdb::Error::ToSqlConversionFailure(
                format!("Out of Memory Error: injected at {step} (UPJOBPILOT_FAIL_AT)").into(),
            ));
        }
    }
    #[cfg(not(debug_assertions))]
    let _ = step;
    Ok(())
}

/// An error standing for a file another program holds open (Excel on Windows) when
/// `UPJOBPILOT_HOLD_EXPORT` names `target`'s file name, in a debug build: the export tests on
/// Unix, where a rename replaces an open file, take the path a Windows user meets.
pub fn held(target: &std::path::Path) -> std::io::Result<()> {
    #[cfg(debug_assertions)]
    if let Some(name) = target.file_name()
        && std::env::var_os("UPJOBPILOT_HOLD_EXPORT").is_some_and(|held| held == name)
    {
        return Err(std::io::Error::other(
            "held open by another program (UPJOBPILOT_HOLD_EXPORT)",
        ));
    }
    #[cfg(not(debug_assertions))]
    let _ = target;
    Ok(())
}

/// The load's batch size set by the environment, in a debug build.
pub fn batch_bytes() -> Option<usize> {
    #[cfg(debug_assertions)]
    return std::env::var("UPJOBPILOT_LOAD_BATCH_BYTES")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|b| *b > 0);
    #[cfg(not(debug_assertions))]
    None
}

#[cfg(debug_assertions)]
mod hooks {
    use std::collections::BTreeMap;
    use std::sync::Mutex;

    static REACHED: Mutex<BTreeMap<String, u32>> = Mutex::new(BTreeMap::new());

    pub fn point(name: &str) {
        let Ok(spec) = std::env::var("UPJOBPILOT_PAUSE_AT") else {
            return;
        };
        let Some((point, nth)) = spec.split_once(':') else {
            return;
        };
        if point != name {
            return;
        }
        let reached = {
            let mut counts = REACHED.lock().unwrap_or_else(|e| e.into_inner());
            let count = counts.entry(name.to_string()).or_default();
            *count += 1;
            *count
        };
        if nth.parse() != Ok(reached) {
            return;
        }
        if let Ok(file) = std::env::var("UPJOBPILOT_PAUSE_FILE") {
            let _ = std::fs::write(file, name);
        }
        loop {
            std::thread::sleep(std::time::Duration::from_secs(60));
        }
    }
}
