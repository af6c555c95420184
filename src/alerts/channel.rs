//! Sending one message through a rule's channel: a webhook or a command. What is sent is a
//! [`Payload`]: an alert rule's [`Message`], or a health notice ([`payload::Notice`]) through
//! the `[notify]` channel ([`send_to`]).
//!
//! Webhooks are a blocking `reqwest` POST with the rule's timeout, the `Idempotency-Key` header,
//! and redirects followed only within the same host (a redirect elsewhere could carry the
//! payload, or a secret in the URL, to someone else). The URL comes from the environment, is
//! held as a [`Secret`], and never reaches a message or a log: errors name only its host, and
//! whatever the receiver answers has every part of the URL redacted ([`redact`]) before it
//! becomes an error, since a receiver that echoes the request path would otherwise write the
//! secret into the log, `alerts_sent.last_error` and the dashboard.
//!
//! A command runs without a shell, reads the `json` payload on stdin (a file, so a program that
//! ignores it cannot cause a SIGPIPE), with only the environment of [`COMMAND_ENV`] (not the
//! client secret or the webhook URLs the sync itself was given). It runs in a process group of
//! its own, and at the timeout the whole group is killed, so a grandchild it started cannot
//! outlive the delivery. Its stderr goes to the log line by line, its stdout is discarded.

use super::payload::{self, Message, Payload};
use crate::config::{Alert, Channel};
use crate::http::printable;
use crate::platform;
use crate::secret::Secret;
use chrono::{DateTime, Utc};
use std::io::{BufRead, Read, Seek, SeekFrom, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The environment variables a command inherits, besides `UPJOBPILOT_ALERT_RULE` and
/// `UPJOBPILOT_IDEMPOTENCY_KEY`: what finds programs, the user, the locale, the time zone, temp
/// folders and the desktop session (notify-send reaches it through D-Bus), and on Windows what
/// its programs cannot start without. Nothing else: the sync's environment holds the client
/// secret and every rule's webhook URL, which are not the command's business.
pub const COMMAND_ENV: &[&str] = &[
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "LANG",
    "LANGUAGE",
    "LC_ALL",
    "TZ",
    "TMPDIR",
    "XDG_RUNTIME_DIR",
    "DBUS_SESSION_BUS_ADDRESS",
    "DISPLAY",
    "WAYLAND_DISPLAY",
    "SYSTEMROOT",
    "SYSTEMDRIVE",
    "WINDIR",
    "COMSPEC",
    "PATHEXT",
    "TEMP",
    "TMP",
    "USERPROFILE",
    "USERNAME",
    "APPDATA",
    "LOCALAPPDATA",
];

/// Whether a command inherits the variable `name`: one of [`COMMAND_ENV`], or a locale
/// category (`LC_*`).
pub fn passes_to_command(name: &str) -> bool {
    COMMAND_ENV
        .iter()
        .any(|known| platform::same_env_name(known, name))
        || name.starts_with("LC_")
}

/// Why a delivery failed; the text is recorded in `alerts_sent.last_error`.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The variable named by `webhook_env` is not set.
    #[error("environment variable {0} (webhook_env) is not set")]
    MissingEnv(String),
    /// The variable does not hold an http(s) URL.
    #[error("environment variable {0} (webhook_env) does not hold an http(s) URL")]
    BadUrl(String),
    /// The request failed before an answer: connection, timeout, a refused redirect.
    #[error("webhook to {host}: {detail}")]
    Request {
        /// The URL's host, the only part of it ever shown.
        host: String,
        /// reqwest's message, without the URL.
        detail: String,
    },
    /// The receiver answered with an error status.
    #[error("webhook to {host} answered HTTP {status}: {body}")]
    Status {
        /// The URL's host.
        host: String,
        /// The status.
        status: u16,
        /// The start of the answer, made printable.
        body: String,
    },
    /// The command could not be started or fed.
    #[error("command {program}: {source}")]
    Spawn {
        /// The program.
        program: String,
        /// Why.
        source: std::io::Error,
    },
    /// The command failed or ran out of time.
    #[error("command {program} {outcome}")]
    Command {
        /// The program.
        program: String,
        /// `exited with status 2`, `was killed after 10 s`.
        outcome: String,
    },
}

impl SendError {
    /// Whether the channel itself looks down or overloaded (no answer, a timeout, a 5xx, a 408 or
    /// 429), so that its other messages would only fail the same way: the sync leaves them for
    /// later instead of spending a timeout on each.
    pub fn channel_down(&self) -> bool {
        match self {
            SendError::Request { .. } => true,
            SendError::Status { status, .. } => *status >= 500 || matches!(status, 408 | 429),
            SendError::Command { outcome, .. } => outcome.starts_with("was killed"),
            SendError::MissingEnv(_) | SendError::BadUrl(_) | SendError::Spawn { .. } => true,
        }
    }
}

/// Sends `message` through `alert`'s channel.
pub fn send(alert: &Alert, message: &Message, now: DateTime<Utc>) -> Result<(), SendError> {
    send_to(&alert.channel, &alert.name, message, now)
}

/// Sends `payload` through `channel`, named `name` to a command (`UPJOBPILOT_ALERT_RULE`): an
/// alert rule's message, or a health notice ([`payload::Notice`]).
pub fn send_to(
    channel: &Channel,
    name: &str,
    payload: &impl Payload,
    now: DateTime<Utc>,
) -> Result<(), SendError> {
    match channel {
        Channel::Webhook {
            env,
            format,
            chat_id,
            timeout_secs,
        } => {
            let url = std::env::var(env)
                .ok()
                .filter(|v| !v.trim().is_empty())
                .map(Secret::new)
                .ok_or_else(|| SendError::MissingEnv(env.clone()))?;
            let body = payload.body(*format, chat_id.as_deref(), now);
            post(
                &url,
                env,
                body,
                payload.key(),
                Duration::from_secs(u64::from(*timeout_secs)),
            )
        }
        Channel::Command { argv, timeout_secs } => run(
            argv,
            name,
            payload.key(),
            payload.json(now).to_string().as_bytes(),
            Duration::from_secs(u64::from(*timeout_secs)),
        ),
    }
}

/// The seconds a delivery through `channel` may take.
pub fn timeout(channel: &Channel) -> Duration {
    Duration::from_secs(u64::from(match channel {
        Channel::Webhook { timeout_secs, .. } | Channel::Command { timeout_secs, .. } => {
            *timeout_secs
        }
    }))
}

/// POSTs `body` to the secret `url`.
#[tracing::instrument(skip_all)]
fn post(
    url: &Secret,
    env: &str,
    body: payload::Body,
    key: &str,
    timeout: Duration,
) -> Result<(), SendError> {
    let parsed = url::Url::parse(url.expose())
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
        .ok_or_else(|| SendError::BadUrl(env.to_string()))?;
    let host = parsed.host_str().unwrap_or_default().to_string();
    let secrets = url_parts(&parsed);
    let origin = (parsed.scheme().to_string(), host.clone(), parsed.port());
    let policy = reqwest::redirect::Policy::custom(move |attempt| {
        let next = attempt.url();
        let same = (
            next.scheme().to_string(),
            next.host_str().unwrap_or_default().to_string(),
            next.port(),
        ) == origin
            || (next.scheme() == "https"
                && origin.0 == "http"
                && next.host_str() == Some(origin.1.as_str()));
        if !same {
            attempt.error("redirect to another host refused")
        } else if attempt.previous().len() >= 5 {
            attempt.error("too many redirects")
        } else {
            attempt.follow()
        }
    });
    let request_error = |e: reqwest::Error| SendError::Request {
        host: host.clone(),
        detail: redact(&error_text(e), &secrets, false),
    };
    let client = reqwest::blocking::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .redirect(policy)
        .user_agent(concat!("upjobpilot/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(request_error)?;
    let mut request = client
        .post(parsed)
        .header(reqwest::header::CONTENT_TYPE, body.content_type)
        .header("Idempotency-Key", key);
    for (name, value) in body.headers {
        request = request.header(name, value);
    }
    let response = request.body(body.bytes).send().map_err(request_error)?;
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let mut bytes = Vec::new();
    let _ = response.take(BODY_BYTES).read_to_end(&mut bytes);
    let cut = bytes.len() as u64 >= BODY_BYTES;
    let text = redact(&String::from_utf8_lossy(&bytes), &secrets, cut);
    Err(SendError::Status {
        host,
        status: status.as_u16(),
        body: printable(text.trim()),
    })
}

/// The most of an error answer that is read (and, redacted and shortened, recorded).
const BODY_BYTES: u64 = 2048;

/// What stands in for a part of the webhook URL in a recorded answer.
const REDACTED: &str = "[redacted]";

/// Shorter parts of a URL are left alone: they cannot hide a secret (`v1`, `api`), and
/// replacing them everywhere would garble the receiver's message.
const MIN_SECRET_CHARS: usize = 4;

/// Every part of `url` that may be secret, as written and percent-decoded, longest first: the
/// whole URL, its path and query, each path segment, each query name and value, the user,
/// password and fragment. The scheme, host and port are not secret (errors name the host).
fn url_parts(url: &url::Url) -> Vec<String> {
    let mut raw: Vec<String> = vec![
        url.as_str().to_string(),
        url[url::Position::BeforePath..].to_string(),
        url.path().to_string(),
        url.username().to_string(),
    ];
    raw.extend(url.query().map(str::to_string));
    raw.extend(url.password().map(str::to_string));
    raw.extend(url.fragment().map(str::to_string));
    raw.extend(url.path().split('/').map(str::to_string));
    for pair in url.query().unwrap_or_default().split('&') {
        raw.push(pair.to_string());
        raw.extend(pair.split('=').map(str::to_string));
    }
    let mut parts: Vec<String> = raw
        .iter()
        .flat_map(|p| {
            [
                p.clone(),
                percent_decoded(p),
                percent_decoded(&p.replace('+', " ")),
            ]
        })
        .filter(|p| p.chars().count() >= MIN_SECRET_CHARS)
        .collect();
    parts.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    parts.dedup();
    parts
}

/// `text` with `%XX` escapes decoded (as a receiver that decodes the path would echo it).
fn percent_decoded(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

/// `text` with every occurrence of each of `parts` (ignoring ASCII case) replaced by
/// `[redacted]`. When `cut`, the text was cut short, and a tail that could be the start of a part
/// goes too: the rest of the secret was just not read.
pub fn redact(text: &str, parts: &[String], cut: bool) -> String {
    // The cut tail first, while the text is as received.
    let mut text = text;
    let mut tail = "";
    if cut {
        let lower = text.to_ascii_lowercase();
        let longest_prefix = parts
            .iter()
            .filter_map(|part| {
                let part = part.to_ascii_lowercase();
                (1..part.len())
                    .rev()
                    .filter(|&n| part.is_char_boundary(n))
                    .find(|&n| lower.ends_with(&part[..n]))
            })
            .max();
        if let Some(n) = longest_prefix {
            text = &text[..text.len() - n];
            tail = REDACTED;
        }
    }
    let mut out = text.to_string();
    for part in parts {
        out = replace_ignoring_case(&out, part, REDACTED);
    }
    out.push_str(tail);
    out
}

/// [`str::replace`] ignoring ASCII case (lowercasing ASCII keeps every byte offset).
fn replace_ignoring_case(text: &str, needle: &str, with: &str) -> String {
    let (lower, needle) = (text.to_ascii_lowercase(), needle.to_ascii_lowercase());
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (start, _) in lower.match_indices(&needle) {
        out.push_str(&text[last..start]);
        out.push_str(with);
        last = start + needle.len();
    }
    out.push_str(&text[last..]);
    out
}

/// reqwest's message and its causes, without the URL (which carries the secret).
fn error_text(error: reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_redirect() {
        "redirect refused"
    } else if error.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    let error = error.without_url();
    let mut text = kind.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&printable(&cause.to_string()));
        source = cause.source();
    }
    text
}

/// Runs `argv` with `json` on stdin.
fn run(
    argv: &[String],
    rule: &str,
    key: &str,
    json: &[u8],
    timeout: Duration,
) -> Result<(), SendError> {
    let program = argv.first().cloned().unwrap_or_default();
    let spawn_error = |source| SendError::Spawn {
        program: program.clone(),
        source,
    };
    // stdin is a file, not a pipe: a program that exits without reading it (notify-send does)
    // would otherwise make our write raise SIGPIPE, which ends this process.
    let mut input = tempfile::tempfile().map_err(spawn_error)?;
    input
        .write_all(json)
        .and_then(|()| input.seek(SeekFrom::Start(0)))
        .map_err(spawn_error)?;
    let mut command = Command::new(&program);
    command
        .args(&argv[1..])
        .env_clear()
        .envs(std::env::vars_os().filter(|(name, _)| name.to_str().is_some_and(passes_to_command)))
        .env("UPJOBPILOT_ALERT_RULE", rule)
        .env("UPJOBPILOT_IDEMPOTENCY_KEY", key)
        .stdin(Stdio::from(input))
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    // A group of its own, so that the timeout can kill whatever the command started too.
    let mut child = platform::own_process_group(&mut command)
        .spawn()
        .map_err(spawn_error)?;
    // Drained on its own thread: a program that writes much to stderr must not block. The
    // channel says when stderr is closed: by then everything that could still write is done.
    let (closed, stderr_closed) = std::sync::mpsc::channel::<()>();
    if let Some(stderr) = child.stderr.take() {
        let (rule, program) = (rule.to_string(), program.clone());
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr)
                .lines()
                .map_while(Result::ok)
            {
                tracing::warn!(stage = "alerts", rule = %rule, program = %program, stderr = %printable(&line), "alert command wrote to stderr");
            }
            let _ = closed.send(());
        });
    } else {
        drop(closed);
    }
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait().map_err(spawn_error)? {
            Some(status) => break Some(status),
            None if Instant::now() >= deadline => {
                platform::kill_tree(&mut child);
                break None;
            }
            None => std::thread::sleep(Duration::from_millis(20)),
        }
    };
    // Something the command left running in the background may still hold its stderr: wait
    // for it until the timeout, then kill it with the rest of the group. The delivery's outcome
    // is the command's own exit status.
    if status.is_some()
        && matches!(
            stderr_closed.recv_timeout(deadline.saturating_duration_since(Instant::now())),
            Err(std::sync::mpsc::RecvTimeoutError::Timeout)
        )
    {
        platform::kill_tree(&mut child);
    }
    match status {
        Some(status) if status.success() => Ok(()),
        Some(status) => Err(SendError::Command {
            program,
            outcome: format!("failed ({status})"),
        }),
        None => Err(SendError::Command {
            program,
            outcome: format!("was killed after {} s", timeout.as_secs()),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(url: &str) -> Vec<String> {
        url_parts(&url::Url::parse(url).expect("url"))
    }

    #[test]
    fn every_part_of_the_url_is_redacted_from_an_answer_in_any_case_or_encoding() {
        let secret = parts(
            "https://user:pa55word@hooks.example.com/services/T0AB/Xy%7E9k?token=QQ+rr77&v=1#frag1",
        );
        let body = "no hook https://hooks.example.com/services/T0AB/Xy%7E9k?token=QQ+rr77&v=1 \
                    at /SERVICES/t0ab/xy~9k, token QQ rr77 or qq+RR77, user user:pa55word, frag1";
        let out = redact(body, &secret, false);
        for leaked in [
            "t0ab", "xy%7e9k", "xy~9k", "qq+rr77", "qq rr77", "pa55word", "frag1",
        ] {
            assert!(!out.to_lowercase().contains(leaked), "{leaked}: {out}");
        }
        assert!(
            out.contains("no hook https://hooks.example.com[redacted]"),
            "{out}"
        );
    }

    #[test]
    fn a_secret_cut_by_the_read_limit_loses_its_start_too() {
        let secret = parts("https://hooks.example.com/hook/SECRETPATH9f3a");
        assert_eq!(
            redact("unknown /hook/SECRETPA", &secret, true),
            "unknown [redacted]"
        );
        assert_eq!(redact("unknown SECR", &secret, true), "unknown [redacted]");
        // Not cut: a word that merely starts like a secret stays.
        assert_eq!(redact("unknown SECR", &secret, false), "unknown SECR");
    }

    #[test]
    fn short_parts_and_the_host_stay_readable() {
        let secret = parts("https://hooks.example.com/v1/abcdefgh");
        assert_eq!(
            redact(
                "v1 says abcdefgh is unknown at hooks.example.com",
                &secret,
                false
            ),
            "v1 says [redacted] is unknown at hooks.example.com"
        );
    }

    #[test]
    fn a_command_gets_the_listed_variables_only() {
        assert!(passes_to_command("PATH"));
        assert!(passes_to_command("LC_TIME"));
        assert!(!passes_to_command("UPWORK_CLIENT_SECRET"));
        assert!(!passes_to_command("SLACK_WEBHOOK_URL"));
        assert!(!passes_to_command("LD_PRELOAD"));
    }
}
