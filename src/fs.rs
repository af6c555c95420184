//! Files that readers and crashes never see half-written: one durability rule for every file the
//! product writes (spool pages and records, tokens, `pipeline.toml`, exports).
//!
//! The rule: write the new content under a temporary name in the target's own folder, `fsync` it,
//! rename it over the target, then `fsync` the folder so the rename itself survives a power cut.
//! A reader sees the old file or the new one, never a mix, and after a crash the new file is
//! either whole or absent. Temporary names start with `.` and contain `.tmp-`, so listings that
//! skip hidden files never take one for real data, and [`remove_stale_temps`] can sweep those a
//! killed process left behind.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The folder holding `path` (`.` for a bare file name).
pub fn parent_dir(path: &Path) -> &Path {
    path.parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Replaces `path` with `bytes` atomically and durably. A new file gets `mode` (on Unix) when one
/// is given, else the umask's default; an existing file keeps its permissions unless `mode` is
/// given.
pub fn write_atomic_mode(path: &Path, bytes: &[u8], mode: Option<u32>) -> io::Result<()> {
    let dir = parent_dir(path);
    let prefix = temp_prefix(path);
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix);
    if let Some(mode) = mode {
        crate::platform::temp_file_mode(&mut builder, mode);
    }
    let mut tmp = builder.tempfile_in(dir)?;
    if mode.is_none()
        && let Ok(existing) = fs::metadata(path)
    {
        fs::set_permissions(tmp.path(), existing.permissions())?;
    }
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    sync_dir(dir)
}

/// [`write_atomic_mode`] keeping an existing file's permissions.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_atomic_mode(path, bytes, None)
}

/// A temporary path beside `target` for a writer that must create the file itself (DuckDB's
/// `COPY`); hand it to [`commit_file`] or [`commit_dir`] when written. Nothing exists there yet.
pub fn temp_path(target: &Path) -> io::Result<PathBuf> {
    let dir = parent_dir(target);
    let tmp = tempfile::Builder::new()
        .prefix(&temp_prefix(target))
        .tempfile_in(dir)?;
    let path = tmp.path().to_path_buf();
    // Only the unique name is wanted: the writer creates the file (or folder) itself.
    tmp.close()?;
    Ok(path)
}

/// Makes a file written at `tmp` (from [`temp_path`]) durable and renames it over `target`.
pub fn commit_file(tmp: &Path, target: &Path) -> io::Result<()> {
    let committed = crate::platform::sync_file(tmp).and_then(|()| fs::rename(tmp, target));
    if let Err(e) = committed {
        let _ = fs::remove_file(tmp);
        return Err(e);
    }
    sync_dir(parent_dir(target))
}

/// Puts the folder written at `tmp` (from [`temp_path`]) in the place of `target` (a folder or
/// nothing): the old folder is moved aside, the new one renamed in, then the old one deleted. If
/// the rename fails the old folder is put back, so there is always one whole export.
pub fn commit_dir(tmp: &Path, target: &Path) -> io::Result<()> {
    sync_tree(tmp)?;
    let dir = parent_dir(target);
    let old = temp_path(target)?;
    let had_old = target.exists();
    if had_old && let Err(e) = fs::rename(target, &old) {
        let _ = fs::remove_dir_all(tmp);
        return Err(e);
    }
    if let Err(e) = fs::rename(tmp, target) {
        if had_old {
            let _ = fs::rename(&old, target);
        }
        let _ = fs::remove_dir_all(tmp);
        return Err(e);
    }
    sync_dir(dir)?;
    if had_old {
        let _ = fs::remove_dir_all(&old);
    }
    Ok(())
}

/// Removes the temporary files and folders [`write_atomic`], [`temp_path`] and [`commit_dir`]
/// leave in `dir` when a process is killed mid-write. Call it only while holding the lock that
/// keeps other writers of `dir` away.
pub fn remove_stale_temps(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.filter_map(|e| e.ok()) {
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') && name.to_string_lossy().contains(".tmp-") {
            let path = entry.path();
            let _ = fs::remove_file(&path).or_else(|_| fs::remove_dir_all(&path));
        }
    }
}

/// `.<name>.tmp-`: hidden, and recognisably ours.
fn temp_prefix(target: &Path) -> String {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    format!(".{name}.tmp-")
}

/// Makes the renames and creations inside a folder durable ([`crate::platform::sync_dir`]).
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    crate::platform::sync_dir(dir)
}

/// `fsync` on every file and folder under `root`, the folders last.
fn sync_tree(root: &Path) -> io::Result<()> {
    for entry in fs::read_dir(root)? {
        let path = entry?.path();
        if path.is_dir() {
            sync_tree(&path)?;
        } else {
            crate::platform::sync_file(&path)?;
        }
    }
    sync_dir(root)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_replaces_the_whole_file_and_keeps_its_mode() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("a.toml");
        write_atomic_mode(&path, b"one", Some(0o600)).expect("first write");
        write_atomic(&path, b"two").expect("second write");
        assert_eq!(fs::read(&path).expect("read"), b"two");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).expect("stat").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let names: Vec<_> = fs::read_dir(dir.path())
            .expect("list")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names, ["a.toml"], "no temp file is left");
    }

    #[test]
    fn a_folder_is_replaced_whole_and_stale_temps_are_swept() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("view");
        fs::create_dir(&target).expect("old");
        fs::write(target.join("old.parquet"), b"old").expect("old file");
        let tmp = temp_path(&target).expect("temp");
        fs::create_dir(&tmp).expect("new");
        fs::write(tmp.join("new.parquet"), b"new").expect("new file");
        commit_dir(&tmp, &target).expect("commit");
        assert!(target.join("new.parquet").exists());
        assert!(!target.join("old.parquet").exists());

        let stale = temp_path(&dir.path().join("x.csv")).expect("temp");
        fs::write(&stale, b"half").expect("half-written");
        remove_stale_temps(dir.path());
        assert!(!stale.exists());
        assert!(target.exists());
    }
}
