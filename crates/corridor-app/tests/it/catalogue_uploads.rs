//! Catalogue files as the pages and the API bring them: checked and kept under their hash,
//! applied from the kept bytes only when they would still do what the report showed, by the
//! institution's admins and platform admins only.

use corridor_app::{AppError, AppResult};
use corridor_domain::{InstitutionId, Role, RoleScope, User};

use crate::support::{actor, test_app, TestApp};

/// An institution admin and their institution.
fn institution_admin(test: &TestApp) -> (&User, InstitutionId) {
    let admin = test.user_with_role(Role::InstitutionAdmin);
    let institution = admin
        .roles
        .iter()
        .find_map(|grant| match (grant.role, grant.scope) {
            (Role::InstitutionAdmin, RoleScope::Institution(institution)) => Some(institution),
            _ => None,
        })
        .unwrap();
    (admin, institution)
}

async fn category(test: &TestApp) -> String {
    test.store
        .categories()
        .await
        .unwrap()
        .iter()
        .find(|c| !c.code.is_top_level())
        .unwrap()
        .code
        .as_str()
        .to_owned()
}

fn file(category: &str, name: &str) -> String {
    format!(
        "资产编号,仪器名称,英文名称,分类编码\nUP-1,{name},Upload gravimeter,{category}\nUP-2,第二台仪器,Second upload,{category}\n"
    )
}

fn searched(test: &TestApp, text: &str) -> usize {
    let request = corridor_search::SearchRequest {
        text: text.to_owned(),
        limit: 100,
        ..Default::default()
    };
    test.app
        .search_index()
        .index
        .search(&request)
        .unwrap()
        .hits
        .len()
}

#[tokio::test]
async fn a_checked_file_is_applied_from_the_kept_bytes() {
    let test = test_app().await;
    let (admin, institution) = institution_admin(&test);
    let admin = actor(admin);
    let code = category(&test).await;
    let bytes = file(&code, "上传重力仪");
    let checked = test
        .app
        .catalogue()
        .check_catalogue_file(&admin, institution, "dir/仪器.csv", bytes.as_bytes(), false)
        .await
        .unwrap();
    assert_eq!(checked.file_name, "仪器.csv");
    assert_eq!(checked.sha256.len(), 64);
    assert!(checked.may_apply());
    assert_eq!(checked.report.created.len(), 2);
    assert!(!checked.report.applied);
    assert_eq!(searched(&test, "Upload gravimeter"), 0);

    // The report page reads the kept file again, as a complete file too.
    let again = test
        .app
        .catalogue()
        .checked_catalogue_file(&admin, institution, &checked.sha256, false)
        .await
        .unwrap();
    assert_eq!(again.plan, checked.plan);
    let complete = test
        .app
        .catalogue()
        .checked_catalogue_file(&admin, institution, &checked.sha256, true)
        .await
        .unwrap();
    assert!(!complete.report.withdrawn.is_empty());
    assert_ne!(complete.plan, checked.plan);

    // A plan that is not the one shown (here: the complete file's, applied as partial) is
    // refused and writes nothing.
    let refused = test
        .app
        .catalogue()
        .apply_catalogue_file(&admin, institution, &checked.sha256, false, &complete.plan)
        .await;
    assert!(matches!(refused, Err(AppError::Conflict(_))), "{refused:?}");
    assert_eq!(searched(&test, "Upload gravimeter"), 0);

    let applied = test
        .app
        .catalogue()
        .apply_catalogue_file(&admin, institution, &checked.sha256, false, &checked.plan)
        .await
        .unwrap();
    assert!(applied.report.applied);
    assert!(!applied.may_apply());
    assert!(searched(&test, "Upload gravimeter") >= 1);

    // Applied files are forgotten: a second apply finds nothing to apply.
    let twice = test
        .app
        .catalogue()
        .apply_catalogue_file(&admin, institution, &checked.sha256, false, &checked.plan)
        .await;
    assert!(matches!(twice, Err(AppError::NotFound(_))), "{twice:?}");
}

#[tokio::test]
async fn a_plan_that_went_stale_is_refused() {
    let test = test_app().await;
    let (admin, institution) = institution_admin(&test);
    let admin = actor(admin);
    let code = category(&test).await;
    let first = file(&code, "第一版名称");
    let checked = test
        .app
        .catalogue()
        .check_catalogue_file(&admin, institution, "a.csv", first.as_bytes(), false)
        .await
        .unwrap();
    // Someone else's file creates the same instruments in the meantime.
    let other = file(&code, "另一版名称");
    let other = test
        .app
        .catalogue()
        .check_catalogue_file(&admin, institution, "b.csv", other.as_bytes(), false)
        .await
        .unwrap();
    test.app
        .catalogue()
        .apply_catalogue_file(&admin, institution, &other.sha256, false, &other.plan)
        .await
        .unwrap();
    let stale = test
        .app
        .catalogue()
        .apply_catalogue_file(&admin, institution, &checked.sha256, false, &checked.plan)
        .await;
    assert!(matches!(stale, Err(AppError::Conflict(_))), "{stale:?}");
}

#[tokio::test]
async fn files_with_errors_are_kept_for_their_report_but_never_applied() {
    let test = test_app().await;
    let (admin, institution) = institution_admin(&test);
    let admin = actor(admin);
    let broken = "资产编号,仪器名称,分类编码\nE-1,,NOT-A-CODE\n";
    let checked = test
        .app
        .catalogue()
        .check_catalogue_file(&admin, institution, "e.csv", broken.as_bytes(), false)
        .await
        .unwrap();
    assert!(!checked.may_apply());
    assert!(checked.report.errors() >= 2);
    let refused = test
        .app
        .catalogue()
        .apply_catalogue_file(&admin, institution, &checked.sha256, false, &checked.plan)
        .await;
    assert!(matches!(refused, Err(AppError::Conflict(_))), "{refused:?}");
}

#[tokio::test]
async fn only_the_institutions_admins_and_platform_admins_import() {
    let test = test_app().await;
    let (_, institution) = institution_admin(&test);
    let code = category(&test).await;
    let bytes = file(&code, "权限测试");
    let check = |user: &User| {
        let actor = actor(user);
        let bytes = bytes.clone();
        let test = &test;
        async move {
            test.app
                .catalogue()
                .check_catalogue_file(&actor, institution, "x.csv", bytes.as_bytes(), false)
                .await
        }
    };
    let refused: Vec<&User> = test
        .users
        .iter()
        .filter(|user| !user.imports_catalogue_of(institution))
        .take(20)
        .collect();
    assert!(refused
        .iter()
        .any(|user| user.may_manage_instruments_of(institution)
            || user.has_role(Role::InstrumentManager)));
    for user in refused {
        let answer: AppResult<_> = check(user).await;
        assert!(
            matches!(answer, Err(AppError::Forbidden(_))),
            "{} may not import: {answer:?}",
            user.email.as_str()
        );
    }
    let platform = test.user_with_role(Role::PlatformAdmin);
    assert!(check(platform).await.is_ok());
    // A hash that names no kept file, or is no hash at all, is refused without a read.
    let admin = actor(institution_admin(&test).0);
    let unknown = test
        .app
        .catalogue()
        .checked_catalogue_file(&admin, institution, &"0".repeat(64), false)
        .await;
    assert!(matches!(unknown, Err(AppError::NotFound(_))));
    let malformed = test
        .app
        .catalogue()
        .checked_catalogue_file(&admin, institution, "../etc", false)
        .await;
    assert!(matches!(malformed, Err(AppError::Invalid { .. })));
}
