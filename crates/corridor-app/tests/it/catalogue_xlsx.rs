//! A real XLSX workbook, in the parts spreadsheet programs write (a content-types part, the
//! workbook and its relationships, a styles part with a custom date format and a money
//! format, a shared-strings table, a worksheet with a merged title row over the headers,
//! dates as serial numbers with the date style, amounts as numbers and as text, a trailing
//! row with only a border style), deflated in a zip as Excel saves it; read and applied.

use std::io::Write;

use corridor_app::catalogue_import::ImportOptions;
use corridor_domain::{Fen, InstitutionId, Language};

use crate::support::{test_app, TestApp};

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

/// One cell as the worksheet writes it.
enum Value<'a> {
    Text(&'a str),
    /// A number with a style index (0 plain, 1 the date format, 2 money).
    Number(f64, u8),
    /// A blank cell that only carries a style (3: a thin border).
    Styled(u8),
}

/// A worksheet's rows written as a workbook, strings through the shared-strings table.
fn workbook(rows: &[Vec<Value<'_>>], merged: &str) -> Vec<u8> {
    let mut strings: Vec<String> = Vec::new();
    let mut sheet_rows = String::new();
    for (index, row) in rows.iter().enumerate() {
        let number = index + 1;
        sheet_rows.push_str(&format!("<row r=\"{number}\">"));
        for (column, value) in row.iter().enumerate() {
            let reference = format!("{}{number}", char::from(b'A' + column as u8));
            match value {
                Value::Text(text) => {
                    let position = strings
                        .iter()
                        .position(|known| known == text)
                        .unwrap_or_else(|| {
                            strings.push((*text).to_owned());
                            strings.len() - 1
                        });
                    sheet_rows.push_str(&format!(
                        "<c r=\"{reference}\" t=\"s\"><v>{position}</v></c>"
                    ));
                }
                Value::Number(value, style) => sheet_rows.push_str(&format!(
                    "<c r=\"{reference}\" s=\"{style}\"><v>{value}</v></c>"
                )),
                Value::Styled(style) => {
                    sheet_rows.push_str(&format!("<c r=\"{reference}\" s=\"{style}\"/>"))
                }
            }
        }
        sheet_rows.push_str("</row>");
    }
    let shared: String = strings
        .iter()
        .map(|text| format!("<si><t>{text}</t></si>"))
        .collect();
    let parts: [(&str, String); 7] = [
        ("[Content_Types].xml", r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>"#.to_owned()),
        ("_rels/.rels", r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.to_owned()),
        ("xl/workbook.xml", r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><workbookPr/><sheets><sheet name="仪器设备" sheetId="1" r:id="rId1"/></sheets></workbook>"#.to_owned()),
        ("xl/_rels/workbook.xml.rels", r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#.to_owned()),
        ("xl/styles.xml", r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/></numFmts><fonts count="1"><font><sz val="11"/><name val="等线"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="2"><border><left/><right/><top/><bottom/><diagonal/></border><border><left style="thin"/><right style="thin"/><top style="thin"/><bottom style="thin"/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="4" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="0" fontId="0" fillId="0" borderId="1" xfId="0" applyBorder="1"/></cellXfs></styleSheet>"#.to_owned()),
        ("xl/sharedStrings.xml", format!(r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{count}" uniqueCount="{count}">{shared}</sst>"#, count = strings.len())),
        ("xl/worksheets/sheet1.xml", format!(r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{sheet_rows}</sheetData><mergeCells count="1"><mergeCell ref="{merged}"/></mergeCells></worksheet>"#)),
    ];
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, content) in parts {
        writer.start_file(name, options).unwrap();
        writer.write_all(content.as_bytes()).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

/// A catalogue workbook: a merged title row, then the headers, two instruments and a blank
/// trailing row with only a border (as templates leave them).
fn catalogue(category: &str) -> Vec<u8> {
    use Value::*;
    let headers = [
        "资产编号",
        "仪器名称",
        "英文名称",
        "分类编码",
        "原值（万元）",
        "购置日期",
        "生产制造商",
        "邮箱",
    ];
    let rows = vec![
        vec![Text("2024 年度大型科研仪器设备信息表")],
        headers.iter().map(|header| Text(header)).collect(),
        // The value a number in 万元 with the money style, the date Excel's serial number
        // of 2019-03-15 with the date style.
        vec![
            Text("XL-0001"),
            Text("透射电子显微镜"),
            Text("Transmission electron microscope"),
            Text(category),
            Number(1250.5, 2),
            Number(43539.0, 1),
            Text("日本电子"),
            Text("tem@example.edu.cn"),
        ],
        // The asset number a number, the value text with a separator, the date text.
        vec![
            Number(20_240_002.0, 0),
            Text("X射线衍射仪"),
            Text(""),
            Text(category),
            Text("1,080.00"),
            Text("2021/7/1"),
        ],
        vec![Styled(3), Styled(3), Styled(3)],
    ];
    workbook(&rows, "A1:H1")
}

#[tokio::test]
async fn a_real_workbook_is_read_and_applied() {
    let test = test_app().await;
    let institution = provider(&test).await;
    let category = test
        .store
        .categories()
        .await
        .unwrap()
        .iter()
        .find(|c| !c.code.is_top_level())
        .unwrap()
        .code
        .as_str()
        .to_owned();
    let bytes = catalogue(&category);
    assert!(bytes.starts_with(b"PK\x03\x04"), "an XLSX file is a zip");
    let report = test
        .app
        .catalogue()
        .import_catalogue_file_as_operator(
            institution,
            &bytes,
            &ImportOptions {
                dry_run: false,
                complete: false,
                file_name: "catalogue.xlsx".into(),
            },
        )
        .await
        .unwrap();
    let text = report.to_text(Language::English);
    assert_eq!(report.refusal, None, "{text}");
    assert_eq!(report.encoding.as_deref(), Some("XLSX"), "{text}");
    assert_eq!(report.header_row, Some(2), "{text}");
    assert_eq!(report.rows, 2, "{text}");
    assert_eq!(report.errors(), 0, "{text}");
    assert_eq!(report.created.len(), 2, "{text}");
    assert!(report.applied);

    let entries = test.store.catalogue_entries_of(institution).await.unwrap();
    let tem = entries
        .iter()
        .find(|entry| entry.fields.asset_number.as_deref() == Some("XL-0001"))
        .expect("the first row was created");
    assert_eq!(tem.instrument.name_zh, "透射电子显微镜");
    assert_eq!(tem.instrument.purchase_value, Fen::from_yuan(12_505_000));
    assert_eq!(
        tem.fields.purchase_date,
        Some(jiff::civil::date(2019, 3, 15))
    );
    assert_eq!(tem.fields.contact_email, "tem@example.edu.cn");
    let xrd = entries
        .iter()
        .find(|entry| entry.fields.asset_number.as_deref() == Some("20240002"))
        .expect("a numeric asset number is read as its digits");
    assert_eq!(xrd.instrument.purchase_value, Fen::from_yuan(10_800_000));
    assert_eq!(
        xrd.fields.purchase_date,
        Some(jiff::civil::date(2021, 7, 1))
    );
    // The same workbook again changes nothing.
    let again = test
        .app
        .catalogue()
        .import_catalogue_file_as_operator(
            institution,
            &bytes,
            &ImportOptions {
                dry_run: true,
                complete: false,
                file_name: "catalogue.xlsx".into(),
            },
        )
        .await
        .unwrap();
    assert!(
        again.changes_nothing(),
        "{}",
        again.to_text(Language::English)
    );
}

/// The XLSX export is a workbook the import reads back to the same catalogue: the
/// institution's export, imported again as a complete file, changes nothing.
#[tokio::test]
async fn the_xlsx_export_reads_back_unchanged() {
    use corridor_app::catalogue_export::{export_catalogue, ExportFormat};
    let test = test_app().await;
    let institution = provider(&test).await;
    let mut xlsx = Vec::new();
    let summary = export_catalogue(
        test.store.as_ref(),
        Some(institution),
        ExportFormat::Xlsx,
        &mut xlsx,
    )
    .await
    .unwrap();
    assert!(summary.instruments > 0);
    assert!(xlsx.starts_with(b"PK\x03\x04"));
    let report = test
        .app
        .catalogue()
        .import_catalogue_file_as_operator(
            institution,
            &xlsx,
            &ImportOptions {
                dry_run: true,
                complete: true,
                file_name: "export.xlsx".into(),
            },
        )
        .await
        .unwrap();
    let text = report.to_text(Language::English);
    assert_eq!(report.encoding.as_deref(), Some("XLSX"), "{text}");
    assert_eq!(u64::from(report.rows), summary.instruments, "{text}");
    assert!(report.changes_nothing(), "{text}");
}
