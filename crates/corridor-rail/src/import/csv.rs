//! A small RFC 4180 reader for GTFS tables: quoted fields with doubled quotes, CRLF or LF line
//! ends, a UTF-8 byte-order mark. Each record remembers the line it starts on, so that errors
//! can name it.

use super::ImportError;
use std::path::{Path, PathBuf};

/// A parsed table: its header and records.
pub(crate) struct CsvTable {
    pub path: PathBuf,
    pub header: Vec<String>,
    /// (1-based line number where the record starts, fields)
    pub records: Vec<(usize, Vec<String>)>,
}

impl CsvTable {
    pub fn parse(path: &Path, text: &str) -> Result<CsvTable, ImportError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut records = Vec::new();
        let mut fields = Vec::new();
        let mut field = String::new();
        let mut in_quotes = false;
        let mut line = 1;
        let mut record_line = 1;
        let mut characters = text.chars().peekable();
        let mut field_started = false;
        while let Some(character) = characters.next() {
            if in_quotes {
                match character {
                    '"' if characters.peek() == Some(&'"') => {
                        characters.next();
                        field.push('"');
                    }
                    '"' => in_quotes = false,
                    '\n' => {
                        line += 1;
                        field.push('\n');
                    }
                    other => field.push(other),
                }
                continue;
            }
            match character {
                '"' if field.is_empty() => {
                    in_quotes = true;
                    field_started = true;
                }
                ',' => {
                    fields.push(std::mem::take(&mut field));
                    field_started = true;
                }
                '\r' => {}
                '\n' => {
                    if field_started || !field.is_empty() || !fields.is_empty() {
                        fields.push(std::mem::take(&mut field));
                        records.push((record_line, std::mem::take(&mut fields)));
                    }
                    field_started = false;
                    line += 1;
                    record_line = line;
                }
                other => {
                    field.push(other);
                    field_started = true;
                }
            }
        }
        if in_quotes {
            return Err(ImportError::Field {
                path: path.to_path_buf(),
                line: record_line,
                field: "(record)".into(),
                message: "a quoted field is not closed".into(),
            });
        }
        if field_started || !field.is_empty() || !fields.is_empty() {
            fields.push(field);
            records.push((record_line, fields));
        }
        let mut records = records.into_iter();
        let header = records
            .next()
            .map(|(_, header)| {
                header
                    .into_iter()
                    .map(|name| name.trim().to_string())
                    .collect()
            })
            .unwrap_or_default();
        Ok(CsvTable {
            path: path.to_path_buf(),
            header,
            records: records.collect(),
        })
    }

    /// Position of a column, if present.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|column| column == name)
    }

    /// Position of a column the specification requires.
    pub fn required_column(&self, name: &str) -> Result<usize, ImportError> {
        self.column(name).ok_or_else(|| ImportError::Missing {
            path: self.path.clone(),
            name: name.to_string(),
        })
    }

    /// The trimmed field of a record, empty when the record is short.
    pub fn field(record: &[String], column: Option<usize>) -> &str {
        column
            .and_then(|column| record.get(column))
            .map_or("", |value| value.trim())
    }

    pub fn error(&self, line: usize, field: &str, message: impl Into<String>) -> ImportError {
        ImportError::Field {
            path: self.path.clone(),
            line,
            field: field.to_string(),
            message: message.into(),
        }
    }
}
