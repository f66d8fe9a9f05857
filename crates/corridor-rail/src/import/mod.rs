//! Importers: the edge of the crate where files are read. Each names the file, line and field
//! of malformed input in a typed [`ImportError`].

pub(crate) mod csv;
pub mod gtfs;
pub mod qetrc;
pub mod railwayvis;
pub mod station_boards;
pub mod station_list;

use std::path::PathBuf;

/// Something an importer read but could not use, or had to assume; the import goes on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportWarning(pub String);

impl std::fmt::Display for ImportWarning {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(&self.0)
    }
}

/// A timetable as imported, with what the importer wants the person to know.
#[derive(Clone, Debug)]
pub struct Imported {
    pub timetable: crate::model::Timetable,
    pub warnings: Vec<ImportWarning>,
}

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
/// qETRC/pyETRC diagram (`.pyetgr` or `.json` with a `trains` list of `timetable` rows), the
/// RailwayVIS city-level timetable (`.json` object of trains), or a RailwayVIS folder with
/// its station boards (the station-level national network), with default options.
pub fn import_timetable(path: &std::path::Path) -> Result<crate::model::Timetable, ImportError> {
    Ok(import_timetable_with_warnings(path)?.timetable)
}

/// [`import_timetable`], keeping the importer's warnings.
pub fn import_timetable_with_warnings(path: &std::path::Path) -> Result<Imported, ImportError> {
    let extension = path
        .extension()
        .and_then(|extension| extension.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if path.is_dir() && path.join("station_boards_gbk").is_dir() {
        return station_boards::import_station_boards(
            path,
            &station_boards::StationBoardOptions::default(),
        );
    }
    if path.is_dir() || extension == "zip" {
        return gtfs::import_gtfs_with(path, &gtfs::GtfsOptions::default());
    }
    let text = read_to_string(path)?;
    if extension == "pyetgr"
        || (text.trim_start().starts_with('{')
            && text.contains("\"trains\"")
            && text.contains("\"zhanming\""))
    {
        qetrc::parse_qetrc_with_warnings(path, &text, &qetrc::QetrcOptions::default())
    } else {
        Ok(Imported {
            timetable: railwayvis::parse_railwayvis(
                path,
                &text,
                &railwayvis::RailwayVisOptions::default(),
            )?,
            warnings: Vec::new(),
        })
    }
}
