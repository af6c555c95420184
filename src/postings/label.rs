//! The rules of a label and a note, the same wherever one is set (the dashboard's form and API,
//! the MCP `label_posting` tool).

/// The longest note kept, in characters.
pub const MAX_NOTE: usize = 10_000;

/// A label as given: empty or blank means none; otherwise it must be one of `labels` (the
/// built-in ones and `[serve] labels`).
pub fn check(labels: &[String], value: Option<&str>) -> Result<Option<String>, String> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(label) if labels.iter().any(|l| l == label) => Ok(Some(label.to_string())),
        Some(label) => Err(format!(
            "unknown label {label:?}: use one of {} (add your own in `[serve] labels`)",
            labels.join(", ")
        )),
    }
}

/// A note as kept: trimmed, empty means none, cut at [`MAX_NOTE`] characters.
pub fn note(value: Option<&str>) -> Option<String> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| v.chars().take(MAX_NOTE).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_label_is_one_of_the_configured_ones_or_none() {
        let labels = vec!["saved".to_string(), "mine".to_string()];
        assert_eq!(check(&labels, Some(" mine ")), Ok(Some("mine".into())));
        assert_eq!(check(&labels, Some("  ")), Ok(None));
        assert_eq!(check(&labels, None), Ok(None));
        let error = check(&labels, Some("other")).expect_err("unknown");
        assert!(error.contains("saved, mine"), "{error}");
    }

    #[test]
    fn a_note_is_trimmed_and_capped() {
        assert_eq!(note(Some("  ")), None);
        let long = "é".repeat(MAX_NOTE + 5);
        assert_eq!(note(Some(&long)).map(|n| n.chars().count()), Some(MAX_NOTE));
    }
}
