//! `corridor import` and `corridor export`: an institution's catalogue file in, the public
//! catalogue out. The rules are the application layer's (`corridor_app::catalogue_import`,
//! `corridor_app::catalogue_export`); this reads the file, prints the report and sets the
//! exit code.

use std::path::Path;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use corridor_app::catalogue_export::{export_catalogue, ExportFormat};
use corridor_app::catalogue_import::read::LARGEST_FILE_BYTES;
use corridor_app::catalogue_import::{FileRefusal, ImportOptions, ImportReport};
use corridor_domain::{InstitutionId, Language};
use corridor_store::Store;

/// How the report is printed.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ReportFormat {
    Text,
    Json,
}

/// Imports `file` as `institution`'s catalogue and prints the report; fails when the file is
/// refused or has errors (nothing is written then).
pub async fn import(
    store: Arc<dyn Store>,
    institution: i64,
    file: &Path,
    options: ImportOptions,
    language: Language,
    format: ReportFormat,
) -> Result<()> {
    // The size is checked before the file is read, so a huge file is refused unread.
    let size = std::fs::metadata(file)
        .with_context(|| format!("reading {}", file.display()))?
        .len();
    let report = if size > LARGEST_FILE_BYTES {
        ImportReport {
            institution,
            dry_run: options.dry_run,
            complete: options.complete,
            refusal: Some(FileRefusal::TooLarge {
                bytes: size,
                limit: LARGEST_FILE_BYTES,
            }),
            ..ImportReport::default()
        }
    } else {
        let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
        let app = corridor_app::App::start(store)
            .await
            .context("starting the application")?;
        app.catalogue()
            .import_catalogue_file_as_operator(InstitutionId(institution), &bytes, &options)
            .await
            .map_err(|error| anyhow::anyhow!(error.chain()))?
    };
    match format {
        ReportFormat::Text => print!("{}", report.to_text(language)),
        ReportFormat::Json => println!("{}", serde_json::to_string_pretty(&report)?),
    }
    if !report.acceptable() {
        bail!("the file was not imported");
    }
    Ok(())
}

/// Writes the public catalogue to `to` (a new file, written under a temporary name and
/// renamed when complete) or to standard output.
pub async fn export(
    store: &dyn Store,
    institution: Option<i64>,
    format: ExportFormat,
    to: Option<&Path>,
) -> Result<()> {
    let institution = institution.map(InstitutionId);
    let summary = match to {
        None => {
            let stdout = std::io::stdout().lock();
            export_catalogue(store, institution, format, stdout)
                .await
                .map_err(|error| anyhow::anyhow!(error.chain()))?
        }
        Some(path) => {
            let partial = path.with_extension("partial");
            let file = std::fs::File::create(&partial)
                .with_context(|| format!("creating {}", partial.display()))?;
            let summary = export_catalogue(store, institution, format, &file)
                .await
                .map_err(|error| anyhow::anyhow!(error.chain()))?;
            file.sync_all()?;
            std::fs::rename(&partial, path)
                .with_context(|| format!("renaming {} to {}", partial.display(), path.display()))?;
            summary
        }
    };
    eprintln!(
        "exported {} instruments, {} bytes",
        summary.instruments, summary.bytes
    );
    Ok(())
}
