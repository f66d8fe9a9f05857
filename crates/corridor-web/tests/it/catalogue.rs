//! Catalogue files over HTTP: the check answers the report and keeps the file, the apply
//! names it by its hash with the plan it was shown, a file over the limit is refused before
//! it is read, and the export streams with an entity tag that answers 304 until the
//! catalogue changes.

use corridor_domain::{Role, RoleScope, UserId};
use reqwest::Method;
use serde_json::{json, Value};

use crate::bookings::{call, json_of, token};
use crate::support::{client, sqlite_server, TestServer};

async fn admin_and_institution(server: &TestServer) -> (String, i64) {
    let token = token(server, "institution-admin@corridor.demo").await;
    let me = json_of(
        call(Method::GET, server, "/api/v1/me", Some(&token), None).await,
        200,
        "me",
    )
    .await;
    let user = server
        .store()
        .user(UserId(me["id"].as_i64().unwrap()))
        .await
        .unwrap()
        .unwrap();
    let institution = user
        .roles
        .iter()
        .find_map(|grant| match (grant.role, grant.scope) {
            (Role::InstitutionAdmin, RoleScope::Institution(id)) => Some(id.0),
            _ => None,
        })
        .unwrap();
    (token, institution)
}

async fn check(
    server: &TestServer,
    token: &str,
    institution: i64,
    body: Vec<u8>,
) -> reqwest::Response {
    client()
        .post(server.url(&format!(
            "/api/v1/institutions/{institution}/catalogue-imports?file_name=api.csv"
        )))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_file_is_checked_then_applied_by_its_hash_and_exported_with_an_etag() {
    let server = sqlite_server().await;
    let (token, institution) = admin_and_institution(&server).await;
    let categories = json_of(
        call(Method::GET, &server, "/api/v1/categories", None, None).await,
        200,
        "categories",
    )
    .await;
    let code = categories
        .as_array()
        .or_else(|| categories["items"].as_array())
        .unwrap()
        .iter()
        .filter_map(|category| category["code"].as_str())
        .find(|code| code.len() > 2)
        .unwrap()
        .to_owned();

    // The export's tag before the import.
    let export_path = format!("/api/v1/catalogue/export?format=csv&institution={institution}");
    let before = client().get(server.url(&export_path)).send().await.unwrap();
    assert_eq!(before.status(), 200);
    assert!(before.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let tag = before.headers()["etag"].to_str().unwrap().to_owned();
    assert!(!before.text().await.unwrap().contains("API-1"));
    let unchanged = client()
        .get(server.url(&export_path))
        .header("if-none-match", &tag)
        .send()
        .await
        .unwrap();
    assert_eq!(unchanged.status(), 304);

    let broken = format!("资产编号,仪器名称,分类编码\nAPI-1,,{code}\n");
    let report = json_of(
        check(&server, &token, institution, broken.into_bytes()).await,
        200,
        "check",
    )
    .await;
    assert_eq!(report["may_apply"], false);
    assert_eq!(report["report"]["errors"], 1);
    let problem = &report["report"]["problems"][0];
    assert_eq!(problem["row"], 2);
    assert_eq!(problem["column"], "B");
    assert_eq!(problem["kind"], "missing");
    assert_eq!(
        problem["message_zh"],
        "第 2 行，B 列（仪器名称）: 仪器名称不能为空"
    );

    let fixed = format!(
        "资产编号,仪器名称,英文名称,分类编码\nAPI-1,接口导入仪器,Api imported quasimeter,{code}\n"
    );
    let checked = json_of(
        check(&server, &token, institution, fixed.into_bytes()).await,
        200,
        "check",
    )
    .await;
    assert_eq!(checked["may_apply"], true, "{checked}");
    assert_eq!(checked["report"]["created"][0]["asset_number"], "API-1");
    let file = checked["file"].as_str().unwrap();
    let plan = checked["plan"].as_str().unwrap();
    let apply = format!("/api/v1/institutions/{institution}/catalogue-imports/{file}/apply");

    // Another plan than the one shown is refused; so is a manager of the institution.
    let stale = call(
        Method::POST,
        &server,
        &apply,
        Some(&token),
        Some(json!({"complete": true, "plan": plan})),
    )
    .await;
    assert_eq!(stale.status(), 409);
    let applied = json_of(
        call(
            Method::POST,
            &server,
            &apply,
            Some(&token),
            Some(json!({"complete": false, "plan": plan})),
        )
        .await,
        200,
        "apply",
    )
    .await;
    assert_eq!(applied["report"]["applied"], true);
    let id = applied["report"]["created"][0]["instrument_id"]
        .as_i64()
        .unwrap();
    let found = json_of(
        call(
            Method::GET,
            &server,
            "/api/v1/search?q=quasimeter",
            None,
            None,
        )
        .await,
        200,
        "search",
    )
    .await;
    assert!(
        found.to_string().contains(&format!("\"id\":{id}")),
        "{found}"
    );

    // The catalogue changed: the old tag no longer matches, and the file holds the row.
    let after = client()
        .get(server.url(&export_path))
        .header("if-none-match", &tag)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), 200);
    assert_ne!(after.headers()["etag"].to_str().unwrap(), tag);
    assert!(after.text().await.unwrap().contains("API-1,接口导入仪器"));
    let json_export: Value = client()
        .get(server.url(&format!(
            "/api/v1/catalogue/export?format=json&institution={institution}"
        )))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let xlsx = client()
        .get(server.url(&format!(
            "/api/v1/catalogue/export?format=xlsx&institution={institution}"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(
        xlsx.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert!(xlsx.bytes().await.unwrap().starts_with(b"PK\x03\x04"));
    assert!(json_export
        .as_array()
        .unwrap()
        .iter()
        .any(|row| row["asset_number"] == "API-1" && row["institution_id"] == institution));
}

#[tokio::test]
async fn files_over_the_limit_and_other_peoples_institutions_are_refused() {
    let server = sqlite_server().await;
    let (admin, institution) = admin_and_institution(&server).await;
    let mut huge = b"asset_number,name,classification_code\n".to_vec();
    huge.resize(
        corridor_app::catalogue_import::read::LARGEST_FILE_BYTES as usize + 10,
        b' ',
    );
    let refused = check(&server, &admin, institution, huge).await;
    assert_eq!(refused.status(), 413);
    let manager = token(&server, "manager@corridor.demo").await;
    let forbidden = check(&server, &manager, institution, b"x".to_vec()).await;
    assert_eq!(forbidden.status(), 403);
    let unknown = call(
        Method::GET,
        &server,
        "/api/v1/catalogue/export?format=xml",
        None,
        None,
    )
    .await;
    assert_eq!(unknown.status(), 400);
}
