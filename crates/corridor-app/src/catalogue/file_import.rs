//! The import of an institution's catalogue file as an operation: who may, what it reads of
//! the store, the one transaction that applies it and the refresh of this node's indexes
//! (the other nodes follow the change log the transaction writes).

use std::collections::HashSet;

use corridor_domain::InstitutionId;

use super::Catalogue;
use crate::actor::Actor;
use crate::catalogue_import::{check_file, ImportContext, ImportOptions, ImportReport};
use crate::error::{AppError, AppResult};

/// Refuses anyone but `institution`'s admins and platform admins.
pub(super) fn require_importer(
    user: &corridor_domain::User,
    institution: InstitutionId,
) -> AppResult<()> {
    if user.imports_catalogue_of(institution) {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!(
            "only the institution admins of institution {} may import its catalogue",
            institution.0
        )))
    }
}

/// A digest of what a checked file would do: the file's reading (rows, errors) and every
/// instrument it creates, changes (with the fields) or withdraws. The apply compares it with
/// the one the report was shown with, so that what is written is what was read.
pub fn plan_digest(report: &ImportReport) -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    hasher.update(format!(
        "complete {} rows {} errors {} refused {} unchanged {}\n",
        report.complete,
        report.rows,
        report.errors(),
        report.refusal.is_some(),
        report.unchanged
    ));
    let lists = [
        ("create", &report.created),
        ("change", &report.changed),
        ("withdraw", &report.withdrawn),
    ];
    for (what, changes) in lists {
        for change in changes {
            hasher.update(format!(
                "{what} {:?} {:?} {:?}",
                change.asset_number,
                change.instrument.map(|id| id.0),
                change.fields
            ));
            hasher.update(b"\n");
        }
    }
    format!("{:x}", hasher.finalize())
}

impl Catalogue<'_> {
    /// Imports `bytes` (CSV or XLSX) as `institution`'s catalogue, for an institution admin
    /// of that institution or a platform admin (`User::imports_catalogue_of`). A refused file
    /// or one with errors is answered with its report (`Ok`), and nothing is written.
    #[tracing::instrument(skip_all, fields(institution = institution.0, dry_run = options.dry_run))]
    pub async fn import_catalogue_file(
        &self,
        actor: &Actor,
        institution: InstitutionId,
        bytes: &[u8],
        options: &ImportOptions,
    ) -> AppResult<ImportReport> {
        let user = actor.require_user()?;
        require_importer(user, institution)?;
        self.import_file(actor, institution, bytes, options, None)
            .await
    }

    /// The same import for the command line, whose operator holds the database itself (like
    /// `corridor generate`); the audit trail records no user.
    pub async fn import_catalogue_file_as_operator(
        &self,
        institution: InstitutionId,
        bytes: &[u8],
        options: &ImportOptions,
    ) -> AppResult<ImportReport> {
        let operator = Actor::anonymous(Some("command line".to_owned()));
        self.import_file(&operator, institution, bytes, options, None)
            .await
    }

    /// Checks and, unless a dry run, applies a file. With `expected_plan`, the apply writes
    /// only when what the file would do now is what the person saw in its report (the
    /// digest of `plan_digest`); otherwise it refuses with a conflict and writes nothing.
    pub(super) async fn import_file(
        &self,
        actor: &Actor,
        institution: InstitutionId,
        bytes: &[u8],
        options: &ImportOptions,
        expected_plan: Option<&str>,
    ) -> AppResult<ImportReport> {
        let place = self
            .store
            .institution(institution)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("no institution {}", institution.0)))?;
        let categories: HashSet<String> = self
            .store
            .categories()
            .await?
            .into_iter()
            .map(|category| category.code.as_str().to_owned())
            .collect();
        let sites = self.store.sites_of(institution).await?;
        if sites.is_empty() {
            return Err(AppError::Conflict(format!(
                "institution {} has no site to place instruments at",
                institution.0
            )));
        }
        let existing = self.store.catalogue_entries_of(institution).await?;
        let today = corridor_store::now()
            .to_zoned(self.region_time_zone.clone())
            .date();
        let context = ImportContext {
            institution,
            institution_name: &place.institution.name_zh,
            categories: &categories,
            sites: &sites,
            existing: &existing,
            time_zone: corridor_domain::TimeZoneName::parse(
                self.region_time_zone.iana_name().unwrap_or("Asia/Shanghai"),
            )?,
            today,
        };
        let (mut report, writes) = check_file(bytes, &context, options);
        if let Some(expected) = expected_plan {
            if plan_digest(&report) != expected {
                return Err(AppError::Conflict(
                    "what the file would do is no longer what its report said (the catalogue changed since, or the file is now read differently): check it again"
                        .to_owned(),
                ));
            }
        }
        if options.dry_run || !report.acceptable() || report.changes_nothing() {
            return Ok(report);
        }
        let created = self
            .store
            .apply_catalogue_import(institution, &writes, &actor.audit_context())
            .await?;
        for (change, id) in report.created.iter_mut().zip(created) {
            change.instrument = Some(id);
        }
        report.applied = true;
        // This node's indexes follow the change log the transaction wrote, at once: as many
        // reads as the file logged changes.
        loop {
            let read = self.search.refresh(self.store).await.map_err(|error| {
                AppError::internal_because("refreshing the search index", error)
            })?;
            if read < crate::indexes::CHANGES_PER_READ as usize {
                break;
            }
        }
        if let Err(error) = self.availability.refresh(self.store).await {
            tracing::warn!(%error, "could not refresh availability; the refresher will");
        }
        Ok(report)
    }
}
