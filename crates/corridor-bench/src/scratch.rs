//! Scratch databases: a SQLite file in a directory of its own, or a PostgreSQL database on the
//! server the benchmark is pointed at, made for one run and removed afterwards.

use anyhow::{Context, Result};

/// A database made for one run, removed afterwards.
pub struct ScratchDatabase {
    pub url: String,
    _directory: Option<tempfile::TempDir>,
    postgres_name: Option<String>,
}

pub async fn scratch_database(
    backend: corridor_store::Backend,
    admin_url: &str,
    label: &str,
) -> Result<ScratchDatabase> {
    match backend {
        corridor_store::Backend::Sqlite => {
            // Under the working directory rather than /tmp, which may be a RAM disk whose
            // fsync costs nothing and would flatter the durable commits.
            let directory = tempfile::Builder::new()
                .prefix("corridor-bench-")
                .tempdir_in(".")
                .context("creating a scratch directory")?;
            let url = format!(
                "sqlite://{}",
                directory.path().join("bench.sqlite").display()
            );
            Ok(ScratchDatabase {
                url,
                _directory: Some(directory),
                postgres_name: None,
            })
        }
        corridor_store::Backend::Postgres => {
            let name = format!("corridor_bench_{}_{label}", std::process::id());
            let admin = sqlx::PgPool::connect(admin_url)
                .await
                .with_context(|| format!("connecting to PostgreSQL at {admin_url}"))?;
            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&admin)
                .await?;
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&admin)
                .await?;
            admin.close().await;
            let base = admin_url
                .rsplit_once('/')
                .map_or(admin_url, |(base, _)| base);
            Ok(ScratchDatabase {
                url: format!("{base}/{name}"),
                _directory: None,
                postgres_name: Some(name),
            })
        }
    }
}

pub async fn drop_scratch(database: ScratchDatabase, admin_url: &str) -> Result<()> {
    if let Some(name) = database.postgres_name {
        let admin = sqlx::PgPool::connect(admin_url).await?;
        sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&admin)
            .await?;
        admin.close().await;
    }
    Ok(())
}
