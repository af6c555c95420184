//! The Unix side of [`crate::platform`]: Linux and macOS.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;
use std::process::{Child, Command};

pub fn user_id() -> Option<u32> {
    // SAFETY: getuid(2) cannot fail and touches no memory.
    Some(unsafe { libc::getuid() })
}

pub fn init_process() {
    // SAFETY: called first thing in main, before any other thread exists. signal(2) restores
    // the default SIGPIPE action that the Rust runtime turns off; umask(2) cannot fail and
    // touches no memory, and no file is created between its two calls.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        let inherited = libc::umask(0o077);
        libc::umask(inherited | 0o077);
    }
}

pub fn stop_signal() -> io::Result<impl Future<Output = ()> + Send + 'static> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut hangup = signal(SignalKind::hangup())?;
    Ok(async move {
        tokio::select! {
            _ = terminate.recv() => {}
            _ = interrupt.recv() => {}
            _ = hangup.recv() => {}
        }
    })
}

pub fn no_follow(options: &mut OpenOptions) -> &mut OpenOptions {
    options.custom_flags(libc::O_NOFOLLOW)
}

pub fn owner_only(options: &mut OpenOptions) -> &mut OpenOptions {
    options.mode(0o600)
}

pub fn temp_file_mode(builder: &mut tempfile::Builder<'_, '_>, mode: u32) {
    builder.permissions(fs::Permissions::from_mode(mode));
}

pub fn shared_mode(meta: &fs::Metadata) -> Option<u32> {
    let mode = meta.permissions().mode() & 0o777;
    (mode & 0o077 != 0).then_some(mode)
}

pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

pub fn tighten_dir(dir: &Path) -> io::Result<()> {
    if shared_mode(&fs::metadata(dir)?).is_some() {
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

pub fn sync_file(path: &Path) -> io::Result<()> {
    File::open(path)?.sync_all()
}

pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

pub fn is_held_by_another_program(_error: &io::Error) -> bool {
    false
}

pub fn is_sharing_violation(_error: &io::Error) -> bool {
    false
}

pub fn is_open_elsewhere(_path: &Path) -> bool {
    false
}

pub fn free_space(path: &Path) -> io::Result<(u64, u64)> {
    use std::os::unix::ffi::OsStrExt;
    let c_path = std::ffi::CString::new(path.as_os_str().as_bytes())
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let mut stat = std::mem::MaybeUninit::<libc::statvfs>::uninit();
    // SAFETY: statvfs(3) writes only the struct it is given, and reads the NUL-terminated path.
    let rc = unsafe { libc::statvfs(c_path.as_ptr(), stat.as_mut_ptr()) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: a return of 0 means the struct was filled.
    let stat = unsafe { stat.assume_init() };
    #[allow(clippy::useless_conversion, clippy::unnecessary_cast)]
    let free = (stat.f_bavail as u64).saturating_mul(stat.f_frsize as u64);
    let device = std::os::unix::fs::MetadataExt::dev(&fs::metadata(path)?);
    Ok((free, device))
}

pub fn own_process_group(command: &mut Command) -> &mut Command {
    std::os::unix::process::CommandExt::process_group(command, 0)
}

pub fn kill_tree(child: &mut Child) {
    if let Ok(group) = libc::pid_t::try_from(child.id()) {
        // SAFETY: kill(2) touches no memory of ours; a negative pid names the process group,
        // whose id is the leader's pid, and the group exists while any member does.
        unsafe {
            libc::kill(-group, libc::SIGKILL);
        }
    }
}
