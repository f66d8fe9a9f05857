//! Importing institutions' catalogue files and exporting the public catalogue: the report
//! by row and column, dry runs, upserts, withdrawals, re-imports that change nothing, the
//! round trip through the export, and hostile files refused with nothing written.

use std::io::Write;
use std::sync::Arc;

use corridor_app::catalogue_export::{export_catalogue, ExportFormat};
use corridor_app::catalogue_import::read::{LARGEST_FILE_BYTES, MOST_COLUMNS};
use corridor_app::catalogue_import::{
    FileRefusal, ImportOptions, ImportReport, ProblemKind, Severity,
};
use corridor_app::App;
use corridor_domain::{Fen, InstitutionId, Language};
use corridor_store::{SqliteStore, Store};

use crate::support::{region, test_app, TestApp};

/// The institution of the test region that holds the most instruments.
async fn provider(test: &TestApp) -> InstitutionId {
    let mut counts: std::collections::HashMap<InstitutionId, usize> =
        std::collections::HashMap::new();
    for item in test.store.all_instruments().await.unwrap() {
        *counts.entry(item.instrument.institution).or_default() += 1;
    }
    counts
        .into_iter()
        .max_by_key(|(id, count)| (*count, std::cmp::Reverse(*id)))
        .unwrap()
        .0
}

async fn import(
    test: &TestApp,
    institution: InstitutionId,
    bytes: &[u8],
    dry_run: bool,
    complete: bool,
) -> ImportReport {
    test.app
        .catalogue()
        .import_catalogue_file_as_operator(
            institution,
            bytes,
            &ImportOptions {
                dry_run,
                complete,
                file_name: "test.csv".into(),
            },
        )
        .await
        .unwrap()
}

async fn export(store: &dyn Store, institution: Option<InstitutionId>) -> Vec<u8> {
    let mut out = Vec::new();
    export_catalogue(store, institution, ExportFormat::Csv, &mut out)
        .await
        .unwrap();
    out
}

/// A category code of the test region.
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

/// A small catalogue in the national platform's headers, as institutions write it: a title
/// row over the headers, the value in 万元, thousands separators, a date as Chinese text.
fn national_csv(category: &str) -> String {
    format!(
        "大型科研仪器设备信息表,,,,,,,\n\
         资产编号,仪器名称,英文名称,分类编码,原值（万元）,购置日期,生产制造商,开放共享方式,备注\n\
         A-001,场发射扫描电镜,Field emission SEM,{category},\"1,250.5\",2019年3月15日,日立,对外开放,新购\n\
         A-002,液相色谱质谱联用仪,LC-MS,{category}00,12.5,2021/7/1,安捷伦,校内共享,\n\
         ,,,,,,,,\n"
    )
}

/// The instruments this node's search index finds for `text`.
fn searched(test: &TestApp, text: &str) -> Vec<corridor_domain::InstrumentId> {
    let request = corridor_search::SearchRequest {
        text: text.to_owned(),
        limit: 100,
        ..Default::default()
    };
    let results = test.app.search_index().index.search(&request).unwrap();
    results.hits.iter().map(|hit| hit.document.id).collect()
}

async fn counts(store: &dyn Store) -> corridor_store::TableCounts {
    store.table_counts().await.unwrap()
}

#[tokio::test]
async fn a_gbk_file_with_a_title_row_and_wan_yuan_is_read_and_applied() {
    let test = test_app().await;
    let institution = provider(&test).await;
    let text = national_csv(&category(&test).await);
    let (gbk, _, unmappable) = encoding_rs::GBK.encode(&text);
    assert!(!unmappable);
    let report = import(&test, institution, &gbk, false, false).await;
    assert_eq!(
        report.refusal,
        None,
        "{}",
        report.to_text(Language::English)
    );
    assert_eq!(report.encoding.as_deref(), Some("GB18030"));
    assert_eq!(report.header_row, Some(2));
    assert_eq!(report.rows, 2);
    assert_eq!(report.errors(), 0, "{}", report.to_text(Language::English));
    // The unknown column is reported and ignored.
    assert!(report.problems.iter().any(
        |problem| matches!(&problem.kind, ProblemKind::UnknownColumn { header } if header == "备注")
            && problem.column.as_deref() == Some("I")
    ));
    assert_eq!(report.created.len(), 2);
    assert!(report.applied);
    let entries = test.store.catalogue_entries_of(institution).await.unwrap();
    let sem = entries
        .iter()
        .find(|entry| entry.fields.asset_number.as_deref() == Some("A-001"))
        .unwrap();
    assert_eq!(sem.instrument.purchase_value, Fen(1_250_500_000));
    assert_eq!(sem.instrument.name_zh, "场发射扫描电镜");
    assert_eq!(
        sem.fields.purchase_date,
        Some(jiff::civil::date(2019, 3, 15))
    );
    let lcms = entries
        .iter()
        .find(|entry| entry.fields.asset_number.as_deref() == Some("A-002"))
        .unwrap();
    assert_eq!(lcms.instrument.purchase_value, Fen(12_500_000));
    assert_eq!(
        lcms.instrument.access_policy,
        corridor_domain::AccessPolicy::OwnInstitution
    );
    // Imported instruments are searchable on this node at once.
    assert!(searched(&test, "场发射扫描电镜").contains(&sem.instrument.id));
}

#[tokio::test]
async fn a_dry_run_reports_and_writes_nothing_and_a_reimport_changes_nothing() {
    let test = test_app().await;
    let institution = provider(&test).await;
    let file = format!("\u{FEFF}{}", national_csv(&category(&test).await));
    let before = counts(test.store.as_ref()).await;
    let dry = import(&test, institution, file.as_bytes(), true, false).await;
    assert_eq!(dry.created.len(), 2);
    assert!(!dry.applied);
    assert_eq!(counts(test.store.as_ref()).await, before);

    let applied = import(&test, institution, file.as_bytes(), false, false).await;
    assert!(applied.applied);
    let after_first = counts(test.store.as_ref()).await;
    let again = import(&test, institution, file.as_bytes(), false, false).await;
    assert!(
        again.changes_nothing(),
        "{}",
        again.to_text(Language::English)
    );
    assert_eq!(again.unchanged, 2);
    assert!(!again.applied);
    assert!(again.to_text(Language::English).contains("changes nothing"));
    assert!(again
        .to_text(Language::Chinese)
        .contains("不会带来任何变化"));
    assert_eq!(counts(test.store.as_ref()).await, after_first);
}

#[tokio::test]
async fn every_problem_is_reported_by_row_and_column_and_nothing_is_written() {
    let test = test_app().await;
    let institution = provider(&test).await;
    let code = category(&test).await;
    let long_name = "仪".repeat(201);
    let file = format!(
        "资产编号,仪器名称,分类编码,购置日期,原值,邮箱,运行状态,开放共享方式\n\
         B-1,光谱仪,{code},2020-01-01,100,a@b.cn,正常,对外开放\n\
         B-1,光谱仪二,{code},2020-01-01,100,,,\n\
         B-2,{long_name},{code},,,,,\n\
         B-3,电镜,00000000,明年,一百,not-an-email,坏了,随便\n\
         ,无编号,{code},,,,,\n"
    );
    let before = counts(test.store.as_ref()).await;
    let report = import(&test, institution, file.as_bytes(), false, false).await;
    assert!(!report.applied);
    assert_eq!(counts(test.store.as_ref()).await, before);
    let at = |row: u32, column: &str| -> Vec<&ProblemKind> {
        report
            .problems
            .iter()
            .filter(|p| p.row == Some(row) && p.column.as_deref() == Some(column))
            .map(|p| &p.kind)
            .collect()
    };
    assert!(matches!(
        at(3, "A")[..],
        [ProblemKind::DuplicateAssetNumber { first_row: 2, .. }]
    ));
    assert!(matches!(
        at(4, "B")[..],
        [ProblemKind::TooLong {
            chars: 201,
            limit: 200,
            ..
        }]
    ));
    assert!(
        matches!(at(5, "C")[..], [ProblemKind::UnknownCategory { .. }]),
        "{:?}",
        report.problems
    );
    assert!(matches!(at(5, "D")[..], [ProblemKind::NotADate { .. }]));
    assert!(matches!(at(5, "E")[..], [ProblemKind::NotAMoney { .. }]));
    assert!(matches!(at(5, "F")[..], [ProblemKind::NotAnEmail { .. }]));
    assert!(matches!(
        at(5, "G")[..],
        [ProblemKind::UnknownStatus { .. }]
    ));
    assert!(matches!(
        at(5, "H")[..],
        [ProblemKind::UnknownAccessPolicy { .. }]
    ));
    assert!(matches!(at(6, "A")[..], [ProblemKind::Missing { .. }]));
    assert!(report
        .problems
        .iter()
        .all(|problem| problem.severity == Severity::Error));
    for problem in &report.problems {
        let english = problem.message(Language::English);
        let chinese = problem.message(Language::Chinese);
        assert!(english.starts_with("row "), "{english}");
        assert!(chinese.starts_with('第'), "{chinese}");
    }
    // The report is data: it serialises with row, column and kind.
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["problems"][0]["row"], 3);
    assert_eq!(json["problems"][0]["kind"], "duplicate_asset_number");
}

#[tokio::test]
async fn a_complete_file_withdraws_the_instruments_it_does_not_name() {
    let test = test_app().await;
    let institution = provider(&test).await;
    let listed = test.store.catalogue_entries_of(institution).await.unwrap();
    assert!(
        listed.len() >= 2,
        "the institution has instruments to withdraw"
    );
    // The institution's own export, less its first instrument.
    let exported = String::from_utf8(export(test.store.as_ref(), Some(institution)).await).unwrap();
    let mut lines: Vec<&str> = exported.lines().collect();
    let dropped = lines.remove(1).to_owned();
    let file = lines.join("\n");
    let report = import(&test, institution, file.as_bytes(), false, true).await;
    assert!(report.applied, "{}", report.to_text(Language::English));
    assert_eq!(report.withdrawn.len(), 1);
    assert_eq!(report.created.len() + report.changed.len(), 0);
    let withdrawn = report.withdrawn[0].instrument.unwrap();
    assert_eq!(withdrawn, listed[0].instrument.id);
    assert!(dropped.contains(&report.withdrawn[0].asset_number));
    // Kept, but hidden from search and from the public catalogue.
    let stored = test.store.instrument(withdrawn).await.unwrap().unwrap();
    assert!(stored.withdrawn);
    assert!(!searched(&test, &stored.instrument.name_en).contains(&withdrawn));
    let public = String::from_utf8(export(test.store.as_ref(), Some(institution)).await).unwrap();
    assert_eq!(public.lines().count(), exported.lines().count() - 1);
    // Listed again, it comes back.
    let report = import(&test, institution, exported.as_bytes(), false, true).await;
    assert_eq!(report.changed.len(), 1);
    assert!(
        !test
            .store
            .instrument(withdrawn)
            .await
            .unwrap()
            .unwrap()
            .withdrawn
    );
}

/// Exports the demo catalogue, imports each institution's part into a region without
/// instruments, and exports again: the two exports are equal byte for byte.
#[tokio::test]
async fn the_export_survives_a_round_trip_through_an_empty_region() {
    let test = test_app().await;
    let first = export(test.store.as_ref(), None).await;

    let directory = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}",
        directory.path().join("empty.sqlite").display()
    );
    let empty: Arc<dyn Store> = Arc::new(SqliteStore::open(&url).await.unwrap());
    empty.migrate().await.unwrap();
    let mut data = region();
    data.instruments.clear();
    empty.import_region(&data).await.unwrap();
    let app = App::start(empty.clone()).await.unwrap();
    let mut institutions: Vec<InstitutionId> = test
        .store
        .all_instruments()
        .await
        .unwrap()
        .iter()
        .map(|item| item.instrument.institution)
        .collect();
    institutions.sort();
    institutions.dedup();
    for institution in institutions {
        let part = export(test.store.as_ref(), Some(institution)).await;
        let report = app
            .catalogue()
            .import_catalogue_file_as_operator(
                institution,
                &part,
                &ImportOptions {
                    complete: true,
                    ..ImportOptions::default()
                },
            )
            .await
            .unwrap();
        assert!(
            report.applied && report.errors() == 0,
            "{}",
            report.to_text(Language::English)
        );
    }
    let second = export(empty.as_ref(), None).await;
    assert_eq!(
        String::from_utf8(first).unwrap(),
        String::from_utf8(second).unwrap()
    );
}

#[tokio::test]
async fn formula_cells_are_escaped_in_the_export_and_read_back_unchanged() {
    let test = test_app().await;
    let institution = provider(&test).await;
    let code = category(&test).await;
    let file = format!("资产编号,仪器名称,分类编码,规格型号,服务内容\nF-1,\"=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",{code},@SUM(A1),-20℃ 低温\n");
    let report = import(&test, institution, file.as_bytes(), false, false).await;
    assert!(report.applied, "{}", report.to_text(Language::English));
    let exported = String::from_utf8(export(test.store.as_ref(), Some(institution)).await).unwrap();
    let row = exported.lines().find(|line| line.contains("F-1")).unwrap();
    assert!(row.contains("\"'=HYPERLINK("), "{row}");
    assert!(row.contains(",'@SUM(A1),"), "{row}");
    assert!(row.contains(",'-20℃ 低温,"), "{row}");
    let again = import(&test, institution, exported.as_bytes(), false, false).await;
    assert!(
        again.changes_nothing(),
        "{}",
        again.to_text(Language::English)
    );
}

/// A zip archive holding one entry of `size` zero bytes, deflated to a few hundred KiB.
fn zip_bomb(size: usize) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    writer
        .start_file("xl/worksheets/sheet1.xml", options)
        .unwrap();
    let block = vec![0u8; 1 << 20];
    for _ in 0..size / block.len() {
        writer.write_all(&block).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

/// Bytes from a fixed xorshift sequence: binary garbage that is the same on every run.
fn garbage(length: usize) -> Vec<u8> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..length)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

/// A hostile file's name, its bytes and the refusal it must get.
type HostileCase = (&'static str, Vec<u8>, fn(&FileRefusal) -> bool);

#[tokio::test]
async fn hostile_files_are_refused_with_nothing_written() {
    let test = test_app().await;
    let institution = provider(&test).await;
    let code = category(&test).await;
    let before = counts(test.store.as_ref()).await;

    let mut latin1 = b"asset_number,name,category\nX-1,Spectrom\xE8tre \xFF\xFE\x80,".to_vec();
    latin1.extend_from_slice(code.as_bytes());
    let mut too_large = national_csv(&code).into_bytes();
    too_large.resize(100 * 1024 * 1024, b' ');
    let wide: String = (0..10_000).map(|column| format!("c{column},")).collect();
    let mut broken_zip = b"PK\x03\x04".to_vec();
    broken_zip.extend_from_slice(&garbage(4096));

    let cases: Vec<HostileCase> = vec![
        ("wrong encoding", latin1, |refusal| {
            matches!(refusal, FileRefusal::UnknownEncoding)
        }),
        ("broken zip", broken_zip, |refusal| {
            matches!(refusal, FileRefusal::BrokenZip { .. })
        }),
        ("zip bomb", zip_bomb(256 << 20), |refusal| {
            matches!(refusal, FileRefusal::ZipBomb)
        }),
        ("100 MB", too_large, |refusal| {
            matches!(
                refusal,
                FileRefusal::TooLarge {
                    limit: LARGEST_FILE_BYTES,
                    ..
                }
            )
        }),
        (
            "10,000 columns",
            format!("资产编号,仪器名称,分类编码,{wide}\n").into_bytes(),
            |refusal| {
                matches!(
                    refusal,
                    FileRefusal::TooManyColumns {
                        limit: MOST_COLUMNS,
                        ..
                    }
                )
            },
        ),
        ("binary garbage", garbage(64 * 1024), |refusal| {
            matches!(refusal, FileRefusal::NotText | FileRefusal::UnknownEncoding)
        }),
        ("empty", Vec::new(), |refusal| {
            matches!(refusal, FileRefusal::Empty)
        }),
        (
            "no header",
            b"just,some,words\n1,2,3\n".to_vec(),
            |refusal| matches!(refusal, FileRefusal::NoHeaderRow),
        ),
        (
            "missing columns",
            "仪器名称,规格型号\n电镜,X\n".as_bytes().to_vec(),
            |refusal| matches!(refusal, FileRefusal::MissingColumns { .. }),
        ),
        (
            "old excel",
            [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0].to_vec(),
            |refusal| matches!(refusal, FileRefusal::OldExcelFormat),
        ),
    ];
    for (name, bytes, expected) in cases {
        let report = import(&test, institution, &bytes, false, true).await;
        let refusal = report.refusal.as_ref().unwrap_or_else(|| {
            panic!("{name}: not refused: {}", report.to_text(Language::English))
        });
        assert!(expected(refusal), "{name}: {refusal:?}");
        assert!(!report.applied, "{name}");
        assert!(
            !refusal.message(Language::English).is_empty()
                && !refusal.message(Language::Chinese).is_empty()
        );
        assert_eq!(
            counts(test.store.as_ref()).await,
            before,
            "{name} wrote something"
        );
    }
}

/// An import can withdraw every instrument of the institution: its instrument managers may
/// not, its institution admins and platform admins may (`catalogue_uploads.rs` covers the
/// rest of the rule).
#[tokio::test]
async fn instrument_managers_may_not_import_their_institutions_file() {
    let test = test_app().await;
    let (manager, managed) = test.manager();
    let file = national_csv(&category(&test).await);
    let options = ImportOptions {
        dry_run: true,
        ..ImportOptions::default()
    };
    let refused = test
        .app
        .catalogue()
        .import_catalogue_file(
            &crate::support::actor(manager),
            managed,
            file.as_bytes(),
            &options,
        )
        .await;
    assert!(matches!(refused, Err(corridor_app::AppError::Forbidden(_))));
    let platform = test.user_with_role(corridor_domain::Role::PlatformAdmin);
    let report = test
        .app
        .catalogue()
        .import_catalogue_file(
            &crate::support::actor(platform),
            managed,
            file.as_bytes(),
            &options,
        )
        .await
        .unwrap();
    assert_eq!(report.created.len(), 2);
}

mod parsing {
    use corridor_app::catalogue_import::read::Cell;
    use corridor_app::catalogue_import::values::{parse_date, parse_money};
    use corridor_domain::Fen;
    use proptest::prelude::*;

    /// `fen` written as yuan with thousands separators, as spreadsheets format it.
    fn with_separators(fen: i64) -> String {
        let whole = (fen / 100).to_string();
        let mut grouped = String::new();
        for (index, digit) in whole.chars().enumerate() {
            if index > 0 && (whole.len() - index) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(digit);
        }
        format!("{grouped}.{:02}", fen % 100)
    }

    proptest! {
        #[test]
        fn amounts_read_back_exactly(fen in 0i64..1_000_000_000_000) {
            let yuan = parse_money(&Cell::Text(with_separators(fen)), false).unwrap();
            prop_assert_eq!(yuan.fen, Fen(fen));
            prop_assert!(!yuan.rounded);
            // The same amount in 万元 (six decimals) reads to the same fen.
            let wan = format!("{}.{:06}", fen / 1_000_000, fen % 1_000_000);
            prop_assert_eq!(parse_money(&Cell::Text(wan), true).unwrap().fen, Fen(fen));
        }
    }

    #[test]
    fn dates_come_in_every_form_real_files_use() {
        let expected = jiff::civil::date(2019, 3, 15);
        for text in [
            "2019-03-15",
            "2019/3/15",
            "2019.3.15",
            "2019年3月15日",
            "20190315",
            "２０１９-０３-１５",
            "2019-03-15 00:00:00",
        ] {
            assert_eq!(
                parse_date(&Cell::Text(text.into())),
                Some(expected),
                "{text}"
            );
        }
        // Excel's serial for 2019-03-15.
        assert_eq!(parse_date(&Cell::Date(43_539.0)), Some(expected));
        assert_eq!(parse_date(&Cell::Text("43539".into())), None);
        assert_eq!(
            parse_money(&Cell::Text("￥1,200".into()), false)
                .unwrap()
                .fen,
            Fen(120_000)
        );
        assert_eq!(
            parse_money(&Cell::Text("12.5万元".into()), false)
                .unwrap()
                .fen,
            Fen(12_500_000)
        );
        assert_eq!(
            parse_money(&Cell::Number(0.1 + 0.2), false).unwrap().fen,
            Fen(30)
        );
    }
}
