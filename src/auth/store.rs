//! The per-user token file: where it lives, and reading and writing it safely.
//!
//! Tokens are kept outside the project folder (which people commit, share and back up) in the
//! user's data directory, one file per API key and Upwork host, so signing in to the sandbox never
//! overwrites the real sign-in. The file holds live credentials, so it is written 0600 in a 0700
//! folder, replaced atomically (a crash mid-write must not lose the only refresh token), and
//! refused when other users could read or change it.

use super::error::AuthError;
use super::tokens::Tokens;
use crate::platform;
use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// Environment variable naming the exact token file (overrides everything else).
pub const TOKEN_FILE_ENV: &str = "UPJOBPILOT_TOKEN_FILE";
/// Environment variable naming the data directory (the token files go in `tokens/` below it).
pub const DATA_DIR_ENV: &str = "UPJOBPILOT_DATA_DIR";

/// A token file is a few hundred bytes; anything much larger is not ours.
const MAX_FILE_SIZE: u64 = 64 * 1024;

/// One token file.
#[derive(Debug, Clone)]
pub struct TokenStore {
    path: PathBuf,
    /// Whether the parent folder is ours (`tokens/` in the data directory), so its permissions
    /// may be tightened; a folder named through `UPJOBPILOT_TOKEN_FILE` or [`TokenStore::at`]
    /// is left as it is.
    own_dir: bool,
}

impl TokenStore {
    /// The token file for an API key and token endpoint, in the user's data directory:
    /// `$UPJOBPILOT_DATA_DIR`, else the system's own ([`platform::data_dir`]), then
    /// `tokens/<client id>-<hash of the token host>.json`. `$UPJOBPILOT_TOKEN_FILE` names the
    /// file directly.
    pub fn for_client(client_id: &str, token_url: &str) -> Result<TokenStore, AuthError> {
        resolve(
            |name| std::env::var_os(name),
            platform::data_dir,
            client_id,
            token_url,
        )
    }

    /// A token file at an exact path.
    pub fn at(path: PathBuf) -> TokenStore {
        TokenStore {
            path,
            own_dir: false,
        }
    }

    /// Where the token file is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the tokens; `Ok(None)` when there is no token file.
    pub fn load(&self) -> Result<Option<Tokens>, AuthError> {
        let file = match File::open(&self.path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.io_error(e)),
        };
        // Checked on the open file, not the path, so a swap between check and read is harmless.
        let meta = file.metadata().map_err(|e| self.io_error(e))?;
        if !meta.is_file() {
            return Err(self.corrupt("not a regular file".into()));
        }
        check_private(&self.path, &meta)?;
        let mut bytes = Vec::new();
        file.take(MAX_FILE_SIZE + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| self.io_error(e))?;
        if bytes.len() as u64 > MAX_FILE_SIZE {
            return Err(self.corrupt(format!("larger than {} KiB", MAX_FILE_SIZE / 1024)));
        }
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| self.corrupt(describe_json_error(&e)))
    }

    /// Writes the tokens: to a 0600 temporary file in the same folder, synced, then renamed over
    /// the token file, so a reader or a crash sees the old file or the new one, never half of one.
    pub fn save(&self, tokens: &Tokens) -> Result<(), AuthError> {
        let dir = match self.path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        self.prepare_dir(dir)?;
        let mut json =
            serde_json::to_vec_pretty(tokens).map_err(|e| self.io_error(io::Error::other(e)))?;
        json.push(b'\n');
        crate::fs::write_atomic_mode(&self.path, &json, Some(0o600))
            .map_err(|e| self.io_error(e))?;
        tracing::debug!(stage = "auth", path = %self.path.display(), "saved tokens");
        Ok(())
    }

    /// Removes the token file; `Ok(false)` when there was none.
    pub fn delete(&self) -> Result<bool, AuthError> {
        match fs::remove_file(&self.path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(self.io_error(e)),
        }
    }

    fn prepare_dir(&self, dir: &Path) -> Result<(), AuthError> {
        platform::create_private_dir(dir).map_err(|e| self.dir_error(dir, e))?;
        if self.own_dir {
            platform::tighten_dir(dir).map_err(|e| self.dir_error(dir, e))?;
        }
        Ok(())
    }

    fn io_error(&self, source: io::Error) -> AuthError {
        AuthError::Store {
            path: self.path.clone(),
            source,
        }
    }

    fn dir_error(&self, dir: &Path, source: io::Error) -> AuthError {
        AuthError::Store {
            path: dir.to_path_buf(),
            source,
        }
    }

    fn corrupt(&self, reason: String) -> AuthError {
        AuthError::Corrupt {
            path: self.path.clone(),
            reason,
        }
    }
}

/// [`TokenStore::for_client`] with the environment passed in, so tests need not change the
/// process environment.
fn resolve(
    env: impl Fn(&str) -> Option<OsString>,
    system_data_dir: impl Fn() -> Option<PathBuf>,
    client_id: &str,
    token_url: &str,
) -> Result<TokenStore, AuthError> {
    let non_empty = |name: &str| env(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    if let Some(file) = non_empty(TOKEN_FILE_ENV) {
        return Ok(TokenStore::at(file));
    }
    let host = url::Url::parse(token_url)
        .ok()
        .and_then(|url| url.host_str().map(str::to_ascii_lowercase))
        .ok_or_else(|| AuthError::InvalidUrl {
            name: "token_url",
            value: token_url.to_owned(),
            reason: "not an absolute URL with a host".into(),
        })?;
    let data_dir = match non_empty(DATA_DIR_ENV) {
        Some(dir) => dir,
        None => system_data_dir().ok_or(AuthError::NoDataDir)?,
    };
    Ok(TokenStore {
        path: data_dir.join("tokens").join(file_name(client_id, &host)),
        own_dir: true,
    })
}

/// `<client id, sanitized>-<8 hex digits of the host's hash>.json`. The port is left out on
/// purpose: the sandbox listens on a new port every run but should keep one sign-in.
fn file_name(client_id: &str, host: &str) -> String {
    let mut id: String = client_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect();
    if id.is_empty() {
        id.push_str("client");
    }
    format!("{id}-{:08x}.json", fnv1a(host.as_bytes()) >> 32)
}

/// FNV-1a, 64 bit: tiny and fixed forever, which a file name derived from it needs (std's hasher
/// may change between Rust releases).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// What a JSON error says, minus any quoted content (the file holds secrets, and serde_json
/// quotes offending values in type errors).
fn describe_json_error(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let what = match e.classify() {
        Category::Io => "unreadable",
        Category::Syntax => "not valid JSON",
        Category::Eof => "cut off",
        Category::Data => "a field is missing or has the wrong type",
    };
    format!("{what} at line {}, column {}", e.line(), e.column())
}

fn check_private(path: &Path, meta: &fs::Metadata) -> Result<(), AuthError> {
    match platform::shared_mode(meta) {
        Some(mode) => Err(AuthError::InsecureTokenFile {
            path: path.to_path_buf(),
            mode,
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<OsString> + 'a {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| OsString::from(v))
        }
    }

    const TOKEN_URL: &str = "https://www.upwork.com/api/v3/oauth2/token";

    fn system() -> Option<PathBuf> {
        Some(PathBuf::from("/system/upjobpilot"))
    }

    #[test]
    fn token_file_env_names_the_exact_file() {
        let store = resolve(
            env(&[(TOKEN_FILE_ENV, "/x/t.json"), (DATA_DIR_ENV, "/d")]),
            system,
            "k",
            TOKEN_URL,
        )
        .unwrap();
        assert_eq!(store.path(), Path::new("/x/t.json"));
    }

    #[test]
    fn data_dir_precedence() {
        let path = |vars: &[(&str, &str)]| {
            resolve(env(vars), system, "k", TOKEN_URL)
                .unwrap()
                .path()
                .parent()
                .unwrap()
                .to_path_buf()
        };
        assert_eq!(path(&[(DATA_DIR_ENV, "/d")]), Path::new("/d/tokens"));
        assert_eq!(
            path(&[(DATA_DIR_ENV, "")]),
            Path::new("/system/upjobpilot/tokens")
        );
        assert!(matches!(
            resolve(env(&[]), || None, "k", TOKEN_URL),
            Err(AuthError::NoDataDir)
        ));
    }

    #[test]
    fn sandbox_and_upwork_tokens_never_share_a_file_but_ports_do() {
        let name = |url: &str| {
            resolve(env(&[]), system, "key", url)
                .unwrap()
                .path()
                .to_path_buf()
        };
        let upwork = name(TOKEN_URL);
        assert_ne!(upwork, name("http://127.0.0.1:4000/api/v3/oauth2/token"));
        assert_eq!(
            name("http://127.0.0.1:4000/api/v3/oauth2/token"),
            name("http://127.0.0.1:5123/api/v3/oauth2/token")
        );
        assert_eq!(upwork, name("https://WWW.upwork.com/other"));
    }

    #[test]
    fn client_ids_cannot_escape_the_folder() {
        let name = file_name("../../etc/passwd", "h");
        assert!(name.starts_with("______etc_passwd-"), "{name}");
        assert!(file_name("", "h").starts_with("client-"));
        assert_eq!(
            file_name("abc", "h").len(),
            "abc-".len() + 8 + ".json".len()
        );
    }

    #[test]
    fn json_errors_never_quote_the_file() {
        // serde itself quotes the offending value of an unknown enum variant.
        let json = r#"{"access_token":"a","refresh_token":null,"expires_at":"2025-01-01T00:00:00Z",
            "client_id":"k","client_secret":null,"grant":"oauth2v2_0123456789abcdef",
            "saved_at":"2025-01-01T00:00:00Z"}"#;
        let e = serde_json::from_str::<Tokens>(json).unwrap_err();
        assert!(e.to_string().contains("oauth2v2_"), "serde quotes it: {e}");
        let text = describe_json_error(&e);
        assert!(!text.contains("oauth2v2_"), "{text}");
        assert!(text.contains("line 2"), "{text}");
    }
}
