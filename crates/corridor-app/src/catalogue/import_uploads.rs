//! Catalogue files through the pages and the API: a file is checked (a dry run) and kept in
//! the store under its SHA-256; the apply reads those very bytes back, checks them again
//! against the stored catalogue and writes only when what they would do is what the report
//! showed (`plan_digest`). No plan ever comes from the client: it sends the file's hash, the
//! "file is complete" choice and the digest it was shown, and the server decides the rest.

use corridor_domain::InstitutionId;
use corridor_store::CatalogueUpload;
use sha2::{Digest, Sha256};

use super::file_import::{plan_digest, require_importer};
use super::Catalogue;
use crate::actor::Actor;
use crate::catalogue_import::read::LARGEST_FILE_BYTES;
use crate::catalogue_import::{ImportOptions, ImportReport};
use crate::error::{AppError, AppResult};

/// How long a checked file is kept for its apply.
pub const KEEP_CHECKED_FILES_FOR: jiff::SignedDuration = jiff::SignedDuration::from_hours(24);
/// How many checked files of one institution are kept at once (the newest).
pub const KEPT_FILES_PER_INSTITUTION: u32 = 5;
/// The longest file name kept (longer ones are cut), in characters.
pub const LONGEST_FILE_NAME_CHARS: usize = 200;

/// A kept file and what it would do now.
#[derive(Debug, Clone)]
pub struct CheckedFile {
    pub institution: InstitutionId,
    /// The lowercase hex SHA-256 of the file: its name in the URLs of the report and apply.
    pub sha256: String,
    pub file_name: String,
    pub uploaded_at: jiff::Timestamp,
    pub report: ImportReport,
    /// The digest of what the file would do ([`plan_digest`]), which the apply must present.
    pub plan: String,
}

impl CheckedFile {
    /// Whether an apply would write something: the file was read, has no errors, changes
    /// something and was not applied already.
    pub fn may_apply(&self) -> bool {
        self.report.acceptable() && !self.report.changes_nothing() && !self.report.applied
    }
}

/// The lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

fn checked_sha256(text: &str) -> AppResult<&str> {
    if text.len() == 64
        && text
            .bytes()
            .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte))
    {
        Ok(text)
    } else {
        Err(AppError::invalid(
            "file",
            "is not a file's SHA-256 (64 lowercase hexadecimal digits)",
        ))
    }
}

/// The file name kept for the audit trail and the report: its last path segment, without
/// control characters; a name longer than [`LONGEST_FILE_NAME_CHARS`] is refused.
fn clean_file_name(name: &str) -> AppResult<String> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base
        .chars()
        .filter(|character| !character.is_control())
        .collect();
    let cleaned = cleaned.trim();
    if cleaned.chars().count() > LONGEST_FILE_NAME_CHARS {
        return Err(AppError::invalid(
            "file_name",
            format!("is longer than {LONGEST_FILE_NAME_CHARS} characters"),
        ));
    }
    Ok(if cleaned.is_empty() {
        "catalogue".to_owned()
    } else {
        cleaned.to_owned()
    })
}

impl Catalogue<'_> {
    /// Checks `bytes` as `institution`'s catalogue (a dry run; nothing of the catalogue is
    /// written) and keeps the file for its apply, for the institution's admins and platform
    /// admins. A file over the size limit is refused in the report and not kept.
    #[tracing::instrument(skip_all, fields(institution = institution.0, bytes = bytes.len()))]
    pub async fn check_catalogue_file(
        &self,
        actor: &Actor,
        institution: InstitutionId,
        file_name: &str,
        bytes: &[u8],
        complete: bool,
    ) -> AppResult<CheckedFile> {
        let user = actor.require_user()?;
        require_importer(user, institution)?;
        let file_name = clean_file_name(file_name)?;
        let report = self
            .import_file(
                actor,
                institution,
                bytes,
                &dry_run(complete, &file_name),
                None,
            )
            .await?;
        let sha256 = sha256_hex(bytes);
        let uploaded_at = corridor_store::now();
        let fits = !bytes.is_empty() && bytes.len() as u64 <= LARGEST_FILE_BYTES;
        if fits {
            self.store
                .keep_catalogue_upload(
                    &CatalogueUpload {
                        institution,
                        sha256: sha256.clone(),
                        file_name: file_name.clone(),
                        uploaded_by: Some(user.id),
                        uploaded_at,
                        content: bytes.to_vec(),
                    },
                    uploaded_at - KEEP_CHECKED_FILES_FOR,
                    KEPT_FILES_PER_INSTITUTION,
                    &actor.audit_context(),
                )
                .await?;
        }
        Ok(CheckedFile {
            institution,
            sha256,
            file_name,
            uploaded_at,
            plan: plan_digest(&report),
            report,
        })
    }

    /// The report of a kept file as it would apply now (with or without the "file is
    /// complete" choice): the report page reads it, in the reader's language.
    pub async fn checked_catalogue_file(
        &self,
        actor: &Actor,
        institution: InstitutionId,
        sha256: &str,
        complete: bool,
    ) -> AppResult<CheckedFile> {
        let upload = self.kept_upload(actor, institution, sha256).await?;
        let report = self
            .import_file(
                actor,
                institution,
                &upload.content,
                &dry_run(complete, &upload.file_name),
                None,
            )
            .await?;
        Ok(CheckedFile {
            institution,
            plan: plan_digest(&report),
            sha256: upload.sha256,
            file_name: upload.file_name,
            uploaded_at: upload.uploaded_at,
            report,
        })
    }

    /// Applies a kept file, all or nothing, when what it would do is still `plan` (the digest
    /// its report was shown with): otherwise 409 and nothing is written. A file with errors
    /// is refused (409) too. The file is forgotten once applied.
    #[tracing::instrument(skip_all, fields(institution = institution.0))]
    pub async fn apply_catalogue_file(
        &self,
        actor: &Actor,
        institution: InstitutionId,
        sha256: &str,
        complete: bool,
        plan: &str,
    ) -> AppResult<CheckedFile> {
        let upload = self.kept_upload(actor, institution, sha256).await?;
        let options = ImportOptions {
            dry_run: false,
            complete,
            file_name: upload.file_name.clone(),
        };
        let report = self
            .import_file(actor, institution, &upload.content, &options, Some(plan))
            .await?;
        if !report.acceptable() {
            return Err(AppError::Conflict(
                "the file has errors and cannot be applied: fix them and upload it again"
                    .to_owned(),
            ));
        }
        if let Err(error) = self
            .store
            .forget_catalogue_upload(institution, &upload.sha256)
            .await
        {
            // The apply has committed; the kept file is forgotten a day later anyway.
            tracing::warn!(%error, "could not forget an applied catalogue file");
        }
        Ok(CheckedFile {
            institution,
            plan: plan.to_owned(),
            sha256: upload.sha256,
            file_name: upload.file_name,
            uploaded_at: upload.uploaded_at,
            report,
        })
    }

    /// The kept file, for the institution's admins; 404 when it was never kept, has expired
    /// or belongs to another institution. Its bytes are checked against their hash, so a
    /// damaged row is never applied.
    async fn kept_upload(
        &self,
        actor: &Actor,
        institution: InstitutionId,
        sha256: &str,
    ) -> AppResult<CatalogueUpload> {
        let user = actor.require_user()?;
        require_importer(user, institution)?;
        let sha256 = checked_sha256(sha256)?;
        let gone = || {
            AppError::NotFound(format!(
                "no checked file {sha256} of institution {}: it was applied, replaced by newer files or kept longer than a day; upload it again",
                institution.0
            ))
        };
        let upload = self
            .store
            .catalogue_upload(institution, sha256)
            .await?
            .ok_or_else(gone)?;
        if upload.uploaded_at < corridor_store::now() - KEEP_CHECKED_FILES_FOR {
            return Err(gone());
        }
        if sha256_hex(&upload.content) != upload.sha256 {
            return Err(AppError::internal(format!(
                "the kept catalogue file {sha256} no longer matches its hash"
            )));
        }
        Ok(upload)
    }
}

fn dry_run(complete: bool, file_name: &str) -> ImportOptions {
    ImportOptions {
        dry_run: true,
        complete,
        file_name: file_name.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_cleaned() {
        assert_eq!(
            clean_file_name("C:\\Users\\me\\仪器.xlsx").unwrap(),
            "仪器.xlsx"
        );
        assert_eq!(clean_file_name("../../etc/passwd").unwrap(), "passwd");
        assert_eq!(clean_file_name(" \u{0007} ").unwrap(), "catalogue");
        assert!(clean_file_name(&"x".repeat(LONGEST_FILE_NAME_CHARS)).is_ok());
        assert!(clean_file_name(&"x".repeat(LONGEST_FILE_NAME_CHARS + 1)).is_err());
    }

    #[test]
    fn only_hashes_name_files() {
        assert!(checked_sha256(&"a".repeat(64)).is_ok());
        assert!(checked_sha256(&"A".repeat(64)).is_err());
        assert!(checked_sha256("../secret").is_err());
    }
}
