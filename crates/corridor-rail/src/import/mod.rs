//! Importers: the edge of the crate where files are read. Each names the file, line and field
//! of malformed input in a typed [`ImportError`].

mod csv;
pub mod gtfs;
pub mod qetrc;
pub mod railwayvis;

use std::path::PathBuf;

/// A refusal to import, naming where the bad input is.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{path}: cannot read: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}:{column}: not valid JSON: {message}")]
    Json {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{path}:{line}: field `{field}`: {message}")]
    Field {
        path: PathBuf,
        line: usize,
        field: String,
        message: String,
    },
    #[error("{path}: required file or field `{name}` is missing")]
    Missing { path: PathBuf, name: String },
    #[error("{path}: cannot read the zip archive: {message}")]
    Zip { path: PathBuf, message: String },
}

pub(crate) fn read_to_string(path: &std::path::Path) -> Result<String, ImportError> {
    std::fs::read_to_string(path).map_err(|source| ImportError::Io {
        path: path.to_path_buf(),
        source,
    })
}

pub(crate) fn json_error(path: &std::path::Path, error: serde_json::Error) -> ImportError {
    ImportError::Json {
        path: path.to_path_buf(),
        line: error.line(),
        column: error.column(),
        message: error.to_string(),
    }
}

/// The 1-based line of the first occurrence of `needle` in `text`, used to point at the
/// record a semantic error is about in JSON sources (serde_json only locates syntax errors).
pub(crate) fn line_of(text: &str, needle: &str) -> usize {
    text.find(needle).map_or(0, |offset| {
        text[..offset].bytes().filter(|&byte| byte == b'\n').count() + 1
    })
}

/// Reads a timetable in whichever supported format `path` holds: a GTFS folder or `.zip`, a
/// qETRC/pyETRC diagram (`.pyetgr` or `.json` with a `trains` list of `timetable` rows), or
/// the RailwayVIS city-level timetable (`.json` object of trains), with default options.
pub fn import_timetable(path: &std::path::Path) -> Result<crate::model::Timetable, ImportError> {
    let extension = path
        .extension()
        .and_then(|extension| extension.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if path.is_dir() || extension == "zip" {
        return gtfs::import_gtfs(path);
    }
    if extension == "pyetgr" {
        return qetrc::import_qetrc(path, &qetrc::QetrcOptions::default());
    }
    let text = read_to_string(path)?;
    if text.trim_start().starts_with('{')
        && text.contains("\"trains\"")
        && text.contains("\"zhanming\"")
    {
        qetrc::parse_qetrc(path, &text, &qetrc::QetrcOptions::default())
    } else {
        railwayvis::parse_railwayvis(path, &text, &railwayvis::RailwayVisOptions::default())
    }
}
