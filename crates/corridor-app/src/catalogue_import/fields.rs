//! The columns of the national instrument field set, their Chinese and English headers, and
//! how a header row is found in a real file (title rows above it, a row of group headers
//! over merged cells, units in the header text).

use super::read::{Cell, Table};

/// One column of the field set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    InstitutionId,
    InstitutionName,
    AssetNumber,
    NameZh,
    NameEn,
    Category,
    Model,
    Manufacturer,
    CountryOfOrigin,
    PurchaseValue,
    PurchaseDate,
    Location,
    Specifications,
    Functions,
    Services,
    Rates,
    AccessPolicy,
    BookingMode,
    ContactName,
    ContactPhone,
    ContactEmail,
    Status,
}

/// Whether the purchase value is in yuan or in units of ten thousand yuan (万元), as the
/// header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueUnit {
    Yuan,
    WanYuan,
}

impl Field {
    /// Every field, in the order the export writes them.
    pub const ALL: [Field; 22] = [
        Field::InstitutionId,
        Field::InstitutionName,
        Field::AssetNumber,
        Field::NameZh,
        Field::NameEn,
        Field::Category,
        Field::Model,
        Field::Manufacturer,
        Field::CountryOfOrigin,
        Field::PurchaseValue,
        Field::PurchaseDate,
        Field::Location,
        Field::Specifications,
        Field::Functions,
        Field::Services,
        Field::Rates,
        Field::AccessPolicy,
        Field::BookingMode,
        Field::ContactName,
        Field::ContactPhone,
        Field::ContactEmail,
        Field::Status,
    ];

    /// A file must have these columns.
    pub const REQUIRED: [Field; 3] = [Field::AssetNumber, Field::NameZh, Field::Category];

    /// The national platform's header (the export writes it; the purchase value in yuan).
    pub fn header_zh(self) -> &'static str {
        match self {
            Field::InstitutionId => "单位编号",
            Field::InstitutionName => "所属单位",
            Field::AssetNumber => "资产编号",
            Field::NameZh => "仪器名称",
            Field::NameEn => "英文名称",
            Field::Category => "分类编码",
            Field::Model => "规格型号",
            Field::Manufacturer => "生产制造商",
            Field::CountryOfOrigin => "产地国别",
            Field::PurchaseValue => "原值（元）",
            Field::PurchaseDate => "购置日期",
            Field::Location => "安放地址",
            Field::Specifications => "主要技术指标",
            Field::Functions => "主要功能及特色",
            Field::Services => "服务内容",
            Field::Rates => "收费标准",
            Field::AccessPolicy => "开放共享方式",
            Field::BookingMode => "预约方式",
            Field::ContactName => "联系人",
            Field::ContactPhone => "电话",
            Field::ContactEmail => "邮箱",
            Field::Status => "运行状态",
        }
    }

    /// The English header, which is also the key of the JSON export.
    pub fn key(self) -> &'static str {
        match self {
            Field::InstitutionId => "institution_id",
            Field::InstitutionName => "institution",
            Field::AssetNumber => "asset_number",
            Field::NameZh => "name",
            Field::NameEn => "name_en",
            Field::Category => "classification_code",
            Field::Model => "model",
            Field::Manufacturer => "manufacturer",
            Field::CountryOfOrigin => "country_of_origin",
            Field::PurchaseValue => "purchase_value_yuan",
            Field::PurchaseDate => "purchase_date",
            Field::Location => "location",
            Field::Specifications => "key_specifications",
            Field::Functions => "main_functions",
            Field::Services => "services",
            Field::Rates => "rates",
            Field::AccessPolicy => "access_policy",
            Field::BookingMode => "booking_mode",
            Field::ContactName => "contact_name",
            Field::ContactPhone => "contact_phone",
            Field::ContactEmail => "contact_email",
            Field::Status => "status",
        }
    }

    /// Headers seen in real files besides the two above, already normalised (see
    /// [`normalise_header`]): without spaces, punctuation or a unit in brackets, lower case.
    fn aliases(self) -> &'static [&'static str] {
        match self {
            Field::InstitutionId => &["单位编号", "单位代码", "institutionid"],
            Field::InstitutionName => &["所属单位", "单位名称", "institution", "institutionname"],
            Field::AssetNumber => &["资产编号", "资产号", "资产编码", "assetnumber", "assetno"],
            Field::NameZh => &[
                "仪器名称",
                "中文名称",
                "仪器设备名称",
                "name",
                "namezh",
                "instrumentname",
            ],
            Field::NameEn => &["英文名称", "englishname", "nameen"],
            Field::Category => &[
                "分类编码",
                "分类代码",
                "仪器分类编码",
                "classificationcode",
                "category",
                "categorycode",
            ],
            Field::Model => &["规格型号", "型号", "型号规格", "model"],
            Field::Manufacturer => &[
                "生产制造商",
                "制造商",
                "生产厂家",
                "生产厂商",
                "manufacturer",
            ],
            Field::CountryOfOrigin => &["产地国别", "产地", "国别", "countryoforigin", "country"],
            Field::PurchaseValue => &[
                "原值",
                "仪器原值",
                "purchasevalue",
                "purchasevalueyuan",
                "originalvalue",
                "value",
            ],
            Field::PurchaseDate => &["购置日期", "购置时间", "purchasedate"],
            Field::Location => &["安放地址", "安放地点", "放置地点", "location", "address"],
            Field::Specifications => &[
                "主要技术指标",
                "技术指标",
                "keyspecifications",
                "specifications",
            ],
            Field::Functions => &[
                "主要功能及特色",
                "主要功能",
                "功能及特色",
                "mainfunctions",
                "functions",
                "description",
            ],
            Field::Services => &["服务内容", "services"],
            Field::Rates => &["收费标准", "rates", "fees"],
            Field::AccessPolicy => &[
                "开放共享方式",
                "共享方式",
                "开放方式",
                "accesspolicy",
                "access",
            ],
            Field::BookingMode => &["预约方式", "bookingmode"],
            Field::ContactName => &["联系人", "contact", "contactname"],
            Field::ContactPhone => &["电话", "联系电话", "phone", "telephone", "contactphone"],
            Field::ContactEmail => &[
                "邮箱",
                "电子邮箱",
                "联系邮箱",
                "email",
                "e-mail",
                "contactemail",
            ],
            Field::Status => &["运行状态", "状态", "status", "operatingstatus"],
        }
    }

    /// The longest text the column may hold, in characters.
    pub fn longest_chars(self) -> usize {
        match self {
            Field::AssetNumber => 64,
            Field::ContactPhone => 50,
            Field::CountryOfOrigin | Field::ContactName => 100,
            Field::ContactEmail => 254,
            Field::Specifications | Field::Functions | Field::Services => {
                crate::catalogue::LONGEST_DESCRIPTION_CHARS
            }
            Field::Rates => 1_000,
            _ => crate::catalogue::LONGEST_INSTRUMENT_NAME_CHARS,
        }
    }
}

/// A header as written, reduced to what identifies it: full-width forms folded, the unit in
/// brackets taken off (and returned), spaces, underscores and most punctuation dropped,
/// lower case.
pub fn normalise_header(text: &str) -> (String, String) {
    let folded: String = text
        .chars()
        .map(|c| match c {
            '（' => '(',
            '）' => ')',
            '【' | '［' => '[',
            '】' | '］' => ']',
            c if ('\u{FF01}'..='\u{FF5E}').contains(&c) => {
                char::from_u32(c as u32 - 0xFEE0).unwrap_or(c)
            }
            c => c,
        })
        .collect();
    let mut name = String::new();
    let mut unit = String::new();
    let mut depth = 0usize;
    for c in folded.chars() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth = depth.saturating_sub(1),
            c if depth > 0 => unit.push(c),
            c if c.is_whitespace() || matches!(c, '_' | '*' | ':' | '：' | '/' | '.' | '、') => {}
            c => name.extend(c.to_lowercase()),
        }
    }
    (name, unit.trim().to_lowercase())
}

/// The field a header names, if any, with the unit its text gives the purchase value.
pub fn field_of_header(text: &str) -> Option<(Field, ValueUnit)> {
    let (name, unit) = normalise_header(text);
    if name.is_empty() {
        return None;
    }
    // "原值万元" without brackets names the unit inside the name.
    let (name, wan_in_name) = match name.strip_suffix("万元") {
        Some(stripped) if !stripped.is_empty() => (stripped.to_owned(), true),
        _ => (
            name.strip_suffix('元').map(str::to_owned).unwrap_or(name),
            false,
        ),
    };
    let field = Field::ALL
        .into_iter()
        .find(|field| field.aliases().contains(&name.as_str()))?;
    let wan = wan_in_name
        || unit.contains('万')
        || unit.contains("10k")
        || unit.contains("10000")
        || unit.contains("10,000");
    Some((
        field,
        if wan {
            ValueUnit::WanYuan
        } else {
            ValueUnit::Yuan
        },
    ))
}

/// How the columns of a file map to fields.
#[derive(Debug, Clone)]
pub struct HeaderMap {
    /// The 0-based row of the (lower) header row; data starts after it.
    pub header_row: usize,
    /// For each column: the field it holds, or `None` (an unknown or repeated column).
    pub columns: Vec<Option<Field>>,
    /// The header text of each column (the lower row's, or the upper's where it is empty).
    pub headers: Vec<String>,
    pub value_unit: ValueUnit,
    /// Columns with a header that names no field: (column, header).
    pub unknown: Vec<(usize, String)>,
    /// Columns that name a field an earlier column already holds: (column, field).
    pub repeated: Vec<(usize, Field)>,
}

impl HeaderMap {
    pub fn column_of(&self, field: Field) -> Option<usize> {
        self.columns
            .iter()
            .position(|column| *column == Some(field))
    }
}

/// How many of the first rows may be titles or notes above the header row.
const HEADER_SEARCH_ROWS: usize = 20;

fn recognised(row: &[Cell]) -> Vec<Option<(Field, ValueUnit)>> {
    row.iter()
        .map(|cell| cell.as_text().and_then(|text| field_of_header(&text)))
        .collect()
}

/// Finds the header row: the one among the first rows that names the most fields (at least
/// two). A row of group headers over merged cells (基本信息 | 联系方式) names few, and the
/// row under it is then taken; where the header row is blank or unknown in a column whose
/// cell in the row below names a field (a two-level header), the lower cell is taken and the
/// data starts a row later.
pub fn find_header(table: &Table) -> Option<HeaderMap> {
    let mut best: Option<(usize, usize)> = None;
    for (index, row) in table.rows.iter().take(HEADER_SEARCH_ROWS).enumerate() {
        let mut distinct: Vec<Field> = recognised(row)
            .into_iter()
            .flatten()
            .map(|(f, _)| f)
            .collect();
        distinct.sort();
        distinct.dedup();
        if distinct.len() >= 2 && best.is_none_or(|(_, score)| distinct.len() > score) {
            best = Some((index, distinct.len()));
        }
    }
    let (upper, _) = best?;
    let width = table.width();
    let mut cells: Vec<Option<(Field, ValueUnit)>> = recognised(&table.rows[upper]);
    cells.resize(width, None);
    let mut headers: Vec<String> = (0..width)
        .map(|column| cell_text(table, upper, column))
        .collect();
    let mut header_row = upper;
    if let Some(lower) = table.rows.get(upper + 1) {
        let below = recognised(lower);
        let fills: Vec<usize> = (0..width)
            .filter(|&column| cells[column].is_none())
            .filter(|&column| below.get(column).copied().flatten().is_some())
            .collect();
        if !fills.is_empty() {
            for column in fills {
                cells[column] = below[column];
                headers[column] = cell_text(table, upper + 1, column);
            }
            header_row = upper + 1;
        }
    }
    let mut columns = vec![None; width];
    let mut unknown = Vec::new();
    let mut repeated = Vec::new();
    let mut value_unit = ValueUnit::Yuan;
    for column in 0..width {
        match cells[column] {
            Some((field, unit)) => {
                if columns.contains(&Some(field)) {
                    repeated.push((column, field));
                } else {
                    columns[column] = Some(field);
                    if field == Field::PurchaseValue {
                        value_unit = unit;
                    }
                }
            }
            None if !headers[column].trim().is_empty() => {
                unknown.push((column, headers[column].clone()));
            }
            None => {}
        }
    }
    Some(HeaderMap {
        header_row,
        columns,
        headers,
        value_unit,
        unknown,
        repeated,
    })
}

fn cell_text(table: &Table, row: usize, column: usize) -> String {
    table
        .rows
        .get(row)
        .and_then(|row| row.get(column))
        .and_then(Cell::as_text)
        .unwrap_or_default()
        .trim()
        .to_owned()
}

/// The spreadsheet name of a 0-based column: A, B, …, Z, AA, AB, …
pub fn column_letter(column: usize) -> String {
    let mut letters = Vec::new();
    let mut n = column + 1;
    while n > 0 {
        let rest = (n - 1) % 26;
        letters.push(b'A' + rest as u8);
        n = (n - 1) / 26;
    }
    letters.reverse();
    String::from_utf8(letters).unwrap_or_default()
}
