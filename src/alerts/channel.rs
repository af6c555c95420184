//! Sending one message through a rule's channel: a webhook or a command.
//!
//! Webhooks are a blocking `reqwest` POST with the rule's timeout, the `Idempotency-Key` header,
//! and redirects followed only within the same host (a redirect elsewhere could carry the
//! payload, or a secret in the URL, to someone else). The URL comes from the environment, is
//! held as a [`Secret`], and never reaches a message or a log: errors name only its host.
//! A command runs without a shell, reads the `json` payload on stdin (a file, so a program that
//! ignores it cannot cause a SIGPIPE), and is killed at the timeout; its stderr goes to the log
//! line by line, its stdout is discarded.

use super::payload::{self, Message};
use crate::config::{Alert, Channel};
use crate::http::printable;
use crate::secret::Secret;
use chrono::{DateTime, Utc};
use std::io::{BufRead, Read, Seek, SeekFrom, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

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

/// Sends `message` through `alert`'s channel.
pub fn send(alert: &Alert, message: &Message, now: DateTime<Utc>) -> Result<(), SendError> {
    match &alert.channel {
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
            let body = payload::render(*format, message, chat_id.as_deref(), now);
            post(
                &url,
                env,
                body,
                &message.key,
                Duration::from_secs(u64::from(*timeout_secs)),
            )
        }
        Channel::Command { argv, timeout_secs } => run(
            argv,
            &alert.name,
            message,
            now,
            Duration::from_secs(u64::from(*timeout_secs)),
        ),
    }
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
        detail: error_text(e),
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
    let mut text = String::new();
    let _ = response.take(2048).read_to_string(&mut text);
    Err(SendError::Status {
        host,
        status: status.as_u16(),
        body: printable(text.trim()),
    })
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

/// Runs `argv` with the message as JSON on stdin.
fn run(
    argv: &[String],
    rule: &str,
    message: &Message,
    now: DateTime<Utc>,
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
        .write_all(payload::json(message, now).to_string().as_bytes())
        .and_then(|()| input.seek(SeekFrom::Start(0)))
        .map_err(spawn_error)?;
    let mut child = Command::new(&program)
        .args(&argv[1..])
        .env("UPJOBPILOT_ALERT_RULE", rule)
        .env("UPJOBPILOT_IDEMPOTENCY_KEY", &message.key)
        .stdin(Stdio::from(input))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(spawn_error)?;
    // Drained on its own thread: a program that writes much to stderr must not block.
    let stderr = child.stderr.take().map(|stderr| {
        let (rule, program) = (rule.to_string(), program.clone());
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
                tracing::warn!(stage = "alerts", rule = %rule, program = %program, stderr = %printable(&line), "alert command wrote to stderr");
            }
        })
    });
    let started = Instant::now();
    let status = loop {
        match child.try_wait().map_err(spawn_error)? {
            Some(status) => break Some(status),
            None if started.elapsed() >= timeout => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            None => std::thread::sleep(Duration::from_millis(20)),
        }
    };
    // After a kill, a grandchild may still hold stderr open: do not wait for it then.
    if let (Some(handle), Some(_)) = (stderr, status) {
        let _ = handle.join();
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
