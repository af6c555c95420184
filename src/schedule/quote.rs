//! Quoting and escaping for each format a schedule is written in: systemd unit values, POSIX
//! shell words, crontab commands, XML text, and Windows command lines.
//!
//! Paths with spaces, quotes and non-ASCII letters (`/home/josé/my jobs`,
//! `C:\Users\José Müller\Documents\jobs`) go through these and nothing else, so each rule is
//! tested here once.

/// A word of a systemd `ExecStart=` command line: as is when nothing in it is special, else in
/// double quotes with `\` and `"` escaped. Either way `%` (a specifier) becomes `%%` and `$` (a
/// variable) becomes `$$`.
pub fn systemd_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_alphanumeric() || "/._-+=:,@".contains(c));
    if plain {
        return word.to_string();
    }
    let mut out = String::from("\"");
    for c in word.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '%' => out.push_str("%%"),
            '$' => out.push_str("$$"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The program of a systemd `ExecStart=`: quoted like [`systemd_word`] but with `$` as is (systemd
/// expands variables in the arguments only). `None` when it holds a quote or a backslash: systemd
/// refuses those in a program's path ("Executable name contains special characters").
pub fn systemd_program(path: &str) -> Option<String> {
    if path.contains(['\'', '"', '\\']) {
        return None;
    }
    let escaped = path.replace('%', "%%");
    Some(if path.contains(char::is_whitespace) {
        format!("\"{escaped}\"")
    } else {
        escaped
    })
}

/// A path as the value of a systemd setting that takes one path unquoted
/// (`WorkingDirectory=`, `EnvironmentFile=`): only `%` is special there.
pub fn systemd_path(path: &str) -> String {
    path.replace('%', "%%")
}

/// A POSIX shell word: as is when nothing in it is special, else in single quotes (a `'`
/// inside becomes `'\''`).
pub fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+=:,@".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// A crontab command: cron turns every unescaped `%` into a newline, so each becomes `\%`
/// (cron drops the backslash before running the shell).
pub fn crontab_command(command: &str) -> String {
    command.replace('%', r"\%")
}

/// XML character data or an attribute value in double quotes.
pub fn xml_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// Undoes [`xml_text`] (and the other predefined entities), for reading our own files back.
pub fn xml_unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// One argument of a Windows command line, as `CommandLineToArgvW` and the C runtime split them:
/// as is without spaces, tabs or quotes, else in double quotes, with the backslashes before a
/// quote (and before the closing quote) doubled.
pub fn windows_arg(arg: &str) -> String {
    if !arg.is_empty() && !arg.contains([' ', '\t', '\n', '\u{b}', '"']) {
        return arg.to_string();
    }
    let mut out = String::from("\"");
    let mut backslashes = 0;
    for c in arg.chars() {
        match c {
            '\\' => backslashes += 1,
            '"' => {
                out.push_str(&"\\".repeat(backslashes * 2 + 1));
                out.push('"');
                backslashes = 0;
            }
            c => {
                out.push_str(&"\\".repeat(backslashes));
                out.push(c);
                backslashes = 0;
            }
        }
    }
    out.push_str(&"\\".repeat(backslashes * 2));
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn systemd_quotes_spaces_and_escapes_specifiers_and_variables() {
        assert_eq!(systemd_word("sync"), "sync");
        assert_eq!(
            systemd_word("/home/u/bin/upjobpilot"),
            "/home/u/bin/upjobpilot"
        );
        assert_eq!(
            systemd_word("/home/josé/my jobs/pipeline.toml"),
            "\"/home/josé/my jobs/pipeline.toml\""
        );
        assert_eq!(
            systemd_word(r#"/j/100% "x" $HOME\n"#),
            r#""/j/100%% \"x\" $$HOME\\n""#
        );
        assert_eq!(systemd_word(""), "\"\"");
        assert_eq!(
            systemd_program("/home/josé/bin 100% $x/up jobpilot").as_deref(),
            Some("\"/home/josé/bin 100%% $x/up jobpilot\"")
        );
        assert_eq!(systemd_program("/home/u/it's/upjobpilot"), None);
        assert_eq!(
            systemd_path("/home/josé/my jobs/50%"),
            "/home/josé/my jobs/50%%"
        );
    }

    #[test]
    #[cfg_attr(windows, ignore = "runs sh, which Windows lacks")]
    fn shell_words_survive_sh() {
        let words = [
            "/home/josé/my jobs",
            "it's",
            "100% $HOME `x` \"q\" \\ ;&|",
            "",
            "plain",
        ];
        for word in words {
            let quoted = shell_word(word);
            let output = std::process::Command::new("/bin/sh")
                .arg("-c")
                .arg(format!("printf '%s' {quoted}"))
                .output()
                .expect("sh runs");
            assert_eq!(String::from_utf8_lossy(&output.stdout), word, "{quoted}");
        }
        assert_eq!(shell_word("it's"), r"'it'\''s'");
    }

    #[test]
    fn crontab_escapes_percent() {
        assert_eq!(
            crontab_command("cd '/home/j/100%' && date +%s"),
            r"cd '/home/j/100\%' && date +\%s"
        );
    }

    #[test]
    fn xml_escapes_round_trip() {
        let text = r#"C:\Users\José Müller\R&D <jobs> "x" 'y'"#;
        let escaped = xml_text(text);
        assert_eq!(
            escaped,
            r#"C:\Users\José Müller\R&amp;D &lt;jobs&gt; &quot;x&quot; 'y'"#
        );
        assert_eq!(xml_unescape(&escaped), text);
        assert_eq!(xml_unescape("&amp;lt;"), "&lt;");
    }

    #[test]
    fn windows_arguments_follow_commandlinetoargvw() {
        assert_eq!(windows_arg("sync"), "sync");
        assert_eq!(
            windows_arg(r"C:\Users\José Müller\Documents\jobs\pipeline.toml"),
            r#""C:\Users\José Müller\Documents\jobs\pipeline.toml""#
        );
        // Backslashes are literal except before a quote.
        assert_eq!(windows_arg(r"C:\my dir\"), r#""C:\my dir\\""#);
        assert_eq!(windows_arg(r#"a\"b c"#), r#""a\\\"b c""#);
        assert_eq!(windows_arg(""), "\"\"");
        assert_eq!(windows_arg(r"C:\plain\path"), r"C:\plain\path");
    }
}
