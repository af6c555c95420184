//! The Windows side of [`crate::platform`].
//!
//! Files: Windows has no permission bits. A new file inherits the access list of its folder,
//! and the folders of a user's profile (`%APPDATA%`, Documents) admit only that user, SYSTEM and
//! administrators; the token folder lives there. A file put elsewhere gets that folder's list.

use std::fs::{self, OpenOptions};
use std::io;
use std::os::windows::fs::OpenOptionsExt;
use std::os::windows::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// `FILE_FLAG_OPEN_REPARSE_POINT`: open a symbolic link or junction itself, not its target.
const FILE_FLAG_OPEN_REPARSE_POINT: u32 = 0x0020_0000;
/// `CREATE_NEW_PROCESS_GROUP`: the child leads a console process group of its own, so a Ctrl-C
/// meant for us does not reach it and it can be ended as a tree.
const CREATE_NEW_PROCESS_GROUP: u32 = 0x0000_0200;
/// `CREATE_NO_WINDOW`: a console child gets no window of its own (`taskkill` from a scheduled
/// task would otherwise flash one).
const CREATE_NO_WINDOW: u32 = 0x0800_0000;

const ERROR_ACCESS_DENIED: i32 = 5;
const ERROR_SHARING_VIOLATION: i32 = 32;
const ERROR_LOCK_VIOLATION: i32 = 33;
const ERROR_USER_MAPPED_FILE: i32 = 1224;

#[link(name = "kernel32")]
unsafe extern "system" {
    fn GetVolumePathNameW(file_name: *const u16, volume_path: *mut u16, length: u32) -> i32;
    fn GetDiskFreeSpaceExW(
        directory: *const u16,
        free_to_caller: *mut u64,
        total: *mut u64,
        total_free: *mut u64,
    ) -> i32;
    fn GetVolumeInformationW(
        root: *const u16,
        name: *mut u16,
        name_size: u32,
        serial: *mut u32,
        max_component: *mut u32,
        flags: *mut u32,
        file_system: *mut u16,
        file_system_size: u32,
    ) -> i32;
}

/// The bytes free to this user on the volume holding `path` (`GetDiskFreeSpaceExW` on the
/// volume's root, which honours quotas) and the volume's serial number as its id.
pub fn free_space(path: &Path) -> io::Result<(u64, u64)> {
    use std::os::windows::ffi::OsStrExt;
    let wide: Vec<u16> = path
        .as_os_str()
        .encode_wide()
        .chain(std::iter::once(0))
        .collect();
    // A volume root is at most MAX_PATH long, or a volume GUID path (49 characters).
    let mut root = vec![0u16; 1024];
    // SAFETY: `wide` is NUL-terminated; `root` has the length passed, and the call writes at
    // most that many characters, NUL included.
    if unsafe { GetVolumePathNameW(wide.as_ptr(), root.as_mut_ptr(), root.len() as u32) } == 0 {
        return Err(io::Error::last_os_error());
    }
    let (mut free, mut total, mut total_free) = (0u64, 0u64, 0u64);
    // SAFETY: `root` is NUL-terminated (written by the call above); the three outputs are ours.
    if unsafe { GetDiskFreeSpaceExW(root.as_ptr(), &mut free, &mut total, &mut total_free) } == 0 {
        return Err(io::Error::last_os_error());
    }
    let mut serial = 0u32;
    // SAFETY: as above; every buffer we do not want is null with a size of 0, as documented.
    let named = unsafe {
        GetVolumeInformationW(
            root.as_ptr(),
            std::ptr::null_mut(),
            0,
            &mut serial,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            0,
        )
    };
    if named == 0 {
        return Err(io::Error::last_os_error());
    }
    Ok((free, u64::from(serial)))
}

pub fn user_id() -> Option<u32> {
    None
}

pub fn init_process() {}

pub fn stop_signal() -> io::Result<impl Future<Output = ()> + Send + 'static> {
    use tokio::signal::windows;
    let mut ctrl_c = windows::ctrl_c()?;
    let mut ctrl_break = windows::ctrl_break()?;
    let mut close = windows::ctrl_close()?;
    let mut logoff = windows::ctrl_logoff()?;
    let mut shutdown = windows::ctrl_shutdown()?;
    Ok(async move {
        tokio::select! {
            _ = ctrl_c.recv() => {}
            _ = ctrl_break.recv() => {}
            _ = close.recv() => {}
            _ = logoff.recv() => {}
            _ = shutdown.recv() => {}
        }
    })
}

pub fn no_follow(options: &mut OpenOptions) -> &mut OpenOptions {
    options.custom_flags(FILE_FLAG_OPEN_REPARSE_POINT)
}

pub fn owner_only(options: &mut OpenOptions) -> &mut OpenOptions {
    options
}

pub fn temp_file_mode(_builder: &mut tempfile::Builder<'_, '_>, _mode: u32) {}

pub fn shared_mode(_meta: &fs::Metadata) -> Option<u32> {
    None
}

pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    fs::create_dir_all(dir)
}

pub fn tighten_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}

pub fn sync_file(path: &Path) -> io::Result<()> {
    OpenOptions::new().write(true).open(path)?.sync_all()
}

pub fn sync_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}

pub fn is_held_by_another_program(error: &io::Error) -> bool {
    is_sharing_violation(error)
        || matches!(
            error.raw_os_error(),
            Some(ERROR_ACCESS_DENIED | ERROR_USER_MAPPED_FILE)
        )
}

pub fn is_sharing_violation(error: &io::Error) -> bool {
    matches!(
        error.raw_os_error(),
        Some(ERROR_SHARING_VIOLATION | ERROR_LOCK_VIOLATION)
    )
}

pub fn is_open_elsewhere(path: &Path) -> bool {
    const SHARE_ALL: u32 = 0x1 | 0x2 | 0x4; // FILE_SHARE_READ | WRITE | DELETE
    match OpenOptions::new()
        .read(true)
        .write(true)
        .share_mode(SHARE_ALL)
        .open(path)
    {
        Ok(_) => false,
        Err(e) => is_sharing_violation(&e),
    }
}

pub fn own_process_group(command: &mut Command) -> &mut Command {
    command.creation_flags(CREATE_NEW_PROCESS_GROUP)
}

pub fn kill_tree(child: &mut Child) {
    // `taskkill /T` ends the process and every process it started; it ships with every Windows
    // since XP. A job object would do it without a helper process, at the price of unsafe FFI.
    let _ = Command::new("taskkill")
        .args(["/F", "/T", "/PID", &child.id().to_string()])
        .creation_flags(CREATE_NO_WINDOW)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}
