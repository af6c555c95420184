//! Everything that differs between Windows, macOS and Linux, and nowhere else: how the process
//! starts and stops, where the user's data lives, which files only their owner may read, how a
//! file is opened without following a link planted at its path, how a write is made durable, how
//! a child process and everything it started are killed, and what "this file is open in another
//! program" looks like.
//!
//! The rest of the code base calls these functions and never names an operating system. The
//! Unix side (Linux and macOS) is in `unix.rs`, the Windows side in `windows.rs`; both offer the
//! same functions, and `imp` is whichever this build targets.

use std::fs::OpenOptions;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};

#[cfg(unix)]
mod unix;
#[cfg(unix)]
use unix as imp;
#[cfg(windows)]
mod windows;
#[cfg(windows)]
use windows as imp;

/// The system this build runs on, for the few choices that are the user's system's (which
/// scheduler `schedule install` uses).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum System {
    /// Linux, and any other Unix but macOS.
    Linux,
    /// macOS.
    MacOs,
    /// Windows.
    Windows,
}

/// The system this build runs on.
pub fn system() -> System {
    if cfg!(target_os = "macos") {
        System::MacOs
    } else if cfg!(windows) {
        System::Windows
    } else {
        System::Linux
    }
}

/// The user's configuration folder: `$XDG_CONFIG_HOME` or `~/.config` on Linux,
/// `~/Library/Application Support` on macOS, `%APPDATA%` on Windows.
pub fn config_dir() -> Option<PathBuf> {
    directories::BaseDirs::new().map(|dirs| dirs.config_dir().to_path_buf())
}

/// The user's numeric id on Unix (launchd's `gui/<uid>` domain); `None` on Windows.
pub fn user_id() -> Option<u32> {
    imp::user_id()
}

/// The folder that holds our per-user data (the token files), when `UPJOBPILOT_DATA_DIR` does not
/// name one: `$XDG_DATA_HOME/upjobpilot` or `~/.local/share/upjobpilot` on Linux,
/// `~/Library/Application Support/upjobpilot` on macOS, `%APPDATA%\upjobpilot` on Windows. `None`
/// when the system names no home folder.
pub fn data_dir() -> Option<PathBuf> {
    directories::BaseDirs::new().map(|dirs| dirs.data_dir().join("upjobpilot"))
}

/// The user's home folder, when the system names one.
pub fn home_dir() -> Option<PathBuf> {
    directories::BaseDirs::new().map(|dirs| dirs.home_dir().to_path_buf())
}

/// Sets up the process before anything else runs (call first thing in `main`, before any thread
/// exists): on Unix, a closed pipe ends the process quietly like any Unix tool (`upjobpilot status |
/// head`), and every file and folder it creates is its user's alone (a umask, not a chmod per
/// file, because DuckDB creates files of its own that a chmod after the fact would miss). On
/// Windows there is nothing to do: a new file inherits its folder's access list, and the
/// folders in a user's profile admit only that user (and administrators).
pub fn init_process() {
    imp::init_process();
}

/// Registers the signals that ask a long-running command (`watch`, `serve`) to finish, and
/// returns a future that completes when one arrives: SIGTERM, SIGINT (Ctrl-C) and SIGHUP (the
/// terminal closing) on Unix; Ctrl-C, Ctrl-Break, the console window closing, logoff and shutdown
/// on Windows (which allows a few seconds after the last three). Needs a tokio runtime.
pub fn stop_signal() -> io::Result<impl Future<Output = ()> + Send + 'static> {
    imp::stop_signal()
}

/// Opens the file without following a symbolic link (or, on Windows, any reparse point) planted
/// at its path: whatever a link points at is never truncated or written through us.
pub fn no_follow(options: &mut OpenOptions) -> &mut OpenOptions {
    imp::no_follow(options)
}

/// A file created through `options` is readable and writable by its owner alone (0600 on Unix;
/// on Windows the folder's access list decides, see [`init_process`]).
pub fn owner_only(options: &mut OpenOptions) -> &mut OpenOptions {
    imp::owner_only(options)
}

/// A temporary file created through `builder` gets the Unix permission bits `mode` (nothing on
/// Windows, which has none).
pub fn temp_file_mode(builder: &mut tempfile::Builder<'_, '_>, mode: u32) {
    imp::temp_file_mode(builder, mode);
}

/// The permission bits of a file that let users other than its owner read or change it
/// (`Some(mode)`), or `None` when it is private (always `None` on Windows: see
/// [`init_process`]).
pub fn shared_mode(meta: &std::fs::Metadata) -> Option<u32> {
    imp::shared_mode(meta)
}

/// Creates `dir` and its missing parents; the folders created are their owner's alone (0700 on
/// Unix).
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    imp::create_private_dir(dir)
}

/// Makes a folder of ours its owner's alone again (0700) if something loosened it; nothing on
/// Windows.
pub fn tighten_dir(dir: &Path) -> io::Result<()> {
    imp::tighten_dir(dir)
}

/// Writes a file's content through to the disk. On Windows the file is opened for writing
/// (`FlushFileBuffers` refuses a read-only handle with "Access denied").
pub fn sync_file(path: &Path) -> io::Result<()> {
    imp::sync_file(path)
}

/// Makes the creations and renames inside `dir` durable: `fsync` of the folder on Unix; on
/// Windows a rename is written through by the file system itself and a folder cannot be synced.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    imp::sync_dir(dir)
}

/// Whether `error` says that another program holds the file open in a way that forbids
/// replacing it (Excel holding a CSV on Windows: a sharing or lock violation, or "access denied"
/// for a file open without delete sharing). Never on Unix, where a rename replaces an open file.
pub fn is_held_by_another_program(error: &io::Error) -> bool {
    imp::is_held_by_another_program(error)
}

/// Whether `error` is a sharing or lock violation: another program holds the file open and
/// shares it with no one (how DuckDB on Windows locks its database file). Never on Unix.
pub fn is_sharing_violation(error: &io::Error) -> bool {
    imp::is_sharing_violation(error)
}

/// Whether another program holds `path` open so that no one else may open it for writing: on
/// Windows, how DuckDB locks its database file (and how Excel holds a CSV), a sharing violation
/// asked of the system, whatever its language. Never on Unix, where DuckDB names its lock.
pub fn is_open_elsewhere(path: &Path) -> bool {
    imp::is_open_elsewhere(path)
}

/// The desktop's URL opener, to be given the URL as its one argument (never through a shell: a
/// URL contains `&`): `open` on macOS, `xdg-open` on Linux, `rundll32
/// url.dll,FileProtocolHandler` on Windows.
pub fn url_opener() -> Command {
    if cfg!(target_os = "macos") {
        Command::new("open")
    } else if cfg!(windows) {
        let mut command = Command::new("rundll32");
        command.arg("url.dll,FileProtocolHandler");
        command
    } else {
        Command::new("xdg-open")
    }
}

/// Whether two environment variable names are the same variable: Windows spells them in any
/// case (`SystemRoot`), elsewhere case matters.
pub fn same_env_name(a: &str, b: &str) -> bool {
    if cfg!(windows) {
        a.eq_ignore_ascii_case(b)
    } else {
        a == b
    }
}

/// The bytes free to this user on the file system holding `path`, and an id of that file
/// system (two paths with the same id are on one disk): the device on Unix, the volume's serial
/// number on Windows.
pub fn free_space(path: &Path) -> io::Result<(u64, u64)> {
    imp::free_space(path)
}

/// Starts `command` in a process group of its own, so that [`kill_tree`] can end whatever it
/// starts too.
pub fn own_process_group(command: &mut Command) -> &mut Command {
    imp::own_process_group(command)
}

/// Kills `child` and every process it started (its process group on Unix, its process tree on
/// Windows), then reaps it.
pub fn kill_tree(child: &mut Child) {
    imp::kill_tree(child);
    let _ = child.kill();
    let _ = child.wait();
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// Every system measures free space (the disk notice), and two paths in one folder are on
    /// one disk. Runs as a Windows .exe in scripts/windows-check too.
    #[test]
    fn free_space_is_measured_and_one_folder_is_one_disk() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("a file");
        std::fs::write(&file, b"x").expect("write");
        let (free, disk) = free_space(dir.path()).expect("free space of a folder");
        assert!(free > 0);
        let (_, same) = free_space(&file).expect("free space of a file");
        assert_eq!(disk, same);
    }

    #[test]
    fn the_data_folder_is_the_systems_own() {
        let dir = data_dir().expect("this machine names a home folder");
        assert_eq!(dir.file_name().and_then(|n| n.to_str()), Some("upjobpilot"));
        assert!(dir.is_absolute(), "{}", dir.display());
        #[cfg(target_os = "linux")]
        {
            // The XDG rule, which existing Linux users' token folders follow.
            let expected = std::env::var_os("XDG_DATA_HOME")
                .map(PathBuf::from)
                .filter(|p| p.is_absolute())
                .unwrap_or_else(|| home_dir().expect("home").join(".local").join("share"));
            assert_eq!(dir, expected.join("upjobpilot"));
        }
        #[cfg(target_os = "macos")]
        assert!(dir.ends_with("Library/Application Support/upjobpilot"));
        #[cfg(windows)]
        assert!(
            dir.ends_with(r"AppData\Roaming\upjobpilot"),
            "{}",
            dir.display()
        );
    }

    #[test]
    fn a_private_file_is_its_owners_alone_and_a_link_is_not_followed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("private");
        let mut file = owner_only(no_follow(
            OpenOptions::new().write(true).create(true).truncate(false),
        ))
        .open(&path)
        .expect("create");
        file.write_all(b"x").expect("write");
        drop(file);
        sync_file(&path).expect("sync the file");
        sync_dir(dir.path()).expect("sync the folder");
        assert_eq!(shared_mode(&std::fs::metadata(&path).expect("stat")), None);
        #[cfg(unix)]
        {
            let link = dir.path().join("link");
            std::os::unix::fs::symlink(&path, &link).expect("symlink");
            let opened = no_follow(OpenOptions::new().write(true).truncate(true)).open(&link);
            assert!(opened.is_err(), "opened through a symlink");
            assert_eq!(std::fs::read(&path).expect("read"), b"x");
        }
    }

    #[test]
    fn a_private_folder_is_created_and_tightened() {
        let dir = tempfile::tempdir().expect("tempdir");
        let private = dir.path().join("a").join("b");
        create_private_dir(&private).expect("create");
        assert_eq!(
            shared_mode(&std::fs::metadata(&private).expect("stat")),
            None
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o755))
                .expect("loosen");
            assert_eq!(
                shared_mode(&std::fs::metadata(&private).expect("stat")),
                Some(0o755)
            );
            tighten_dir(&private).expect("tighten");
            assert_eq!(
                shared_mode(&std::fs::metadata(&private).expect("stat")),
                None
            );
        }
    }

    #[test]
    fn only_a_sharing_violation_means_another_program_holds_the_file() {
        let not_found = io::Error::from(io::ErrorKind::NotFound);
        assert!(!is_held_by_another_program(&not_found));
        #[cfg(windows)]
        {
            // ERROR_SHARING_VIOLATION, ERROR_LOCK_VIOLATION, ERROR_ACCESS_DENIED.
            for code in [32, 33, 5] {
                assert!(is_held_by_another_program(&io::Error::from_raw_os_error(
                    code
                )));
            }
            assert!(!is_held_by_another_program(&io::Error::from_raw_os_error(
                2
            )));
        }
        #[cfg(unix)]
        assert!(!is_held_by_another_program(&io::Error::from_raw_os_error(
            libc::EBUSY
        )));
    }

    #[test]
    fn a_killed_command_takes_what_it_started_with_it() {
        #[cfg(unix)]
        let mut command = {
            let mut c = Command::new("sh");
            c.args(["-c", "sleep 30 & sleep 30"]);
            c
        };
        #[cfg(windows)]
        let mut command = {
            let mut c = Command::new("cmd");
            c.args(["/C", "ping -n 30 127.0.0.1 >NUL"]);
            c
        };
        let started = std::time::Instant::now();
        let mut child = own_process_group(&mut command)
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("spawn");
        kill_tree(&mut child);
        assert!(child.try_wait().expect("reaped").is_some());
        assert!(started.elapsed() < std::time::Duration::from_secs(20));
    }
}
