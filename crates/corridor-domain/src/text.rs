use crate::DomainError;

/// Trims `value` and accepts it when it is non-empty, at most `max_chars` characters long and
/// free of control characters, which have no place in a name or a description and break
/// exports and terminals.
pub fn bounded_text(
    field: &'static str,
    value: &str,
    max_chars: usize,
) -> Result<String, DomainError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(DomainError::invalid(field, "must not be empty"));
    }
    let length = trimmed.chars().count();
    if length > max_chars {
        return Err(DomainError::invalid(
            field,
            format!("must be at most {max_chars} characters, got {length}"),
        ));
    }
    if trimmed
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(DomainError::invalid(
            field,
            "must not contain control characters",
        ));
    }
    Ok(trimmed.to_owned())
}

/// Like [`bounded_text`], but an empty or blank value means "absent".
pub fn optional_bounded_text(
    field: &'static str,
    value: Option<&str>,
    max_chars: usize,
) -> Result<Option<String>, DomainError> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => bounded_text(field, text, max_chars).map(Some),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_text_trims_and_refuses_empty_long_and_control_characters() {
        assert_eq!(bounded_text("name", "  NMR  ", 10).unwrap(), "NMR");
        assert_eq!(bounded_text("name", "   ", 10).unwrap_err().field, "name");
        assert!(bounded_text("name", "质谱仪质谱仪", 5).is_err());
        assert!(
            bounded_text("name", "质谱仪", 3).is_ok(),
            "limits count characters, not bytes"
        );
        assert!(bounded_text("name", "a\u{0}b", 10).is_err());
        assert_eq!(optional_bounded_text("x", Some("  "), 3).unwrap(), None);
    }
}
