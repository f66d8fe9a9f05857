//! What an import found wrong, as data: a refusal of the whole file, or problems by row and
//! column, each worded in English and in Chinese by the front end's choice of language.

use corridor_domain::Language;
use serde::Serialize;

use super::fields::Field;

/// Why a file was refused as a whole; nothing of it is read further and nothing is written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FileRefusal {
    Empty,
    TooLarge {
        bytes: u64,
        limit: u64,
    },
    TooManyRows {
        limit: usize,
    },
    TooManyColumns {
        columns: usize,
        limit: usize,
    },
    CellTooLong {
        row: usize,
        limit: usize,
    },
    /// Neither UTF-8 nor GB18030/GBK.
    UnknownEncoding,
    /// Binary data, not a spreadsheet or text.
    NotText,
    /// The old binary .xls format, which is not read: save the file as XLSX or CSV.
    OldExcelFormat,
    BrokenZip {
        detail: String,
    },
    /// Declares more unpacked data than a catalogue can hold, or packs it suspiciously well.
    ZipBomb,
    BrokenWorkbook {
        detail: String,
    },
    Malformed {
        detail: String,
    },
    /// No row among the first ones names at least two of the field set's columns.
    NoHeaderRow,
    MissingColumns {
        fields: Vec<Field>,
    },
}

impl FileRefusal {
    pub fn message(&self, language: Language) -> String {
        let zh = language == Language::Chinese;
        match self {
            FileRefusal::Empty => pick(zh, "the file is empty", "文件为空"),
            FileRefusal::TooLarge { bytes, limit } => {
                if zh {
                    format!("文件过大（{bytes} 字节），上限为 {limit} 字节")
                } else {
                    format!("the file is too large ({bytes} bytes); at most {limit} bytes")
                }
            }
            FileRefusal::TooManyRows { limit } => {
                if zh {
                    format!("行数过多，一个文件最多 {limit} 行数据")
                } else {
                    format!("too many rows; a file holds at most {limit} rows of data")
                }
            }
            FileRefusal::TooManyColumns { columns, limit } => {
                if zh {
                    format!("列数过多（{columns} 列），最多 {limit} 列")
                } else {
                    format!("too many columns ({columns}); at most {limit}")
                }
            }
            FileRefusal::CellTooLong { row, limit } => {
                if zh {
                    format!("第 {row} 行有单元格过长，上限为 {limit} 字节")
                } else {
                    format!("a cell in row {row} is longer than {limit} bytes")
                }
            }
            FileRefusal::UnknownEncoding => pick(
                zh,
                "the text is neither UTF-8 nor GBK/GB18030; save the file as UTF-8 CSV or as XLSX",
                "文本编码既不是 UTF-8 也不是 GBK/GB18030，请另存为 UTF-8 CSV 或 XLSX",
            ),
            FileRefusal::NotText => pick(
                zh,
                "the file is neither a spreadsheet nor text",
                "文件既不是电子表格也不是文本",
            ),
            FileRefusal::OldExcelFormat => pick(
                zh,
                "old .xls workbooks are not read; save the file as XLSX or CSV",
                "不支持旧版 .xls 工作簿，请另存为 XLSX 或 CSV",
            ),
            FileRefusal::BrokenZip { detail } => {
                if zh {
                    format!("XLSX 文件已损坏（{detail}）")
                } else {
                    format!("the XLSX file is damaged ({detail})")
                }
            }
            FileRefusal::ZipBomb => pick(
                zh,
                "the XLSX file unpacks to far more than a catalogue holds; it is refused unread",
                "该 XLSX 文件解压后远超目录文件应有的大小，已拒绝读取",
            ),
            FileRefusal::BrokenWorkbook { detail } => {
                if zh {
                    format!("无法读取工作簿（{detail}）")
                } else {
                    format!("the workbook cannot be read ({detail})")
                }
            }
            FileRefusal::Malformed { detail } => {
                if zh {
                    format!("CSV 格式错误（{detail}）")
                } else {
                    format!("the CSV file is malformed ({detail})")
                }
            }
            FileRefusal::NoHeaderRow => pick(
                zh,
                "no header row found: the first rows name none of the field set's columns (仪器名称, 资产编号, 分类编码, …)",
                "未找到表头：前几行没有国家仪器信息字段的列名（仪器名称、资产编号、分类编码等）",
            ),
            FileRefusal::MissingColumns { fields } => {
                let names: Vec<String> = fields
                    .iter()
                    .map(|field| format!("{} ({})", field.header_zh(), field.key()))
                    .collect();
                if zh {
                    format!("缺少必需的列：{}", names.join("、"))
                } else {
                    format!("required columns are missing: {}", names.join(", "))
                }
            }
        }
    }
}

fn pick(zh: bool, english: &str, chinese: &str) -> String {
    if zh { chinese } else { english }.to_owned()
}

/// Whether a problem keeps the file from being applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The file cannot be applied until it is fixed.
    Error,
    /// Applied anyway; the report says what was done instead.
    Warning,
}

/// One thing wrong with one cell, row or column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ProblemKind {
    /// A column whose header names no field: ignored.
    UnknownColumn {
        header: String,
    },
    /// A second column for a field: ignored, the first one is read.
    RepeatedColumn {
        field: Field,
    },
    /// A required value is empty.
    Missing {
        field: Field,
    },
    TooLong {
        field: Field,
        chars: usize,
        limit: usize,
    },
    /// The asset number came in an earlier row too.
    DuplicateAssetNumber {
        asset_number: String,
        first_row: u32,
    },
    /// A classification code that no category of Corridor's taxonomy matches.
    UnknownCategory {
        code: String,
    },
    NotAMoney {
        text: String,
    },
    NotADate {
        text: String,
    },
    UnknownAccessPolicy {
        text: String,
    },
    UnknownBookingMode {
        text: String,
    },
    UnknownStatus {
        text: String,
    },
    NotAnEmail {
        text: String,
    },
    /// The row names another institution than the one importing.
    OtherInstitution {
        text: String,
    },
    /// The rates text is kept as written but gives no hourly rates.
    RatesNotUnderstood,
    /// An amount had more decimals than a fen: rounded.
    MoneyRounded {
        text: String,
    },
}

/// A problem and where it is: `row` is the spreadsheet's 1-based row number, `column` the
/// column's letter and header (both absent for a problem of the whole file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub row: Option<u32>,
    pub column: Option<String>,
    pub header: Option<String>,
    pub severity: Severity,
    #[serde(flatten)]
    pub kind: ProblemKind,
}

impl Problem {
    /// What is wrong, without where (for a report that shows the row and column apart).
    pub fn what(&self, language: Language) -> String {
        self.kind.message(language == Language::Chinese)
    }

    /// The problem in one sentence, with where it is.
    pub fn message(&self, language: Language) -> String {
        let zh = language == Language::Chinese;
        let mut place = String::new();
        if let Some(row) = self.row {
            place.push_str(&if zh {
                format!("第 {row} 行")
            } else {
                format!("row {row}")
            });
        }
        if let Some(column) = &self.column {
            if !place.is_empty() {
                place.push_str(if zh { "，" } else { ", " });
            }
            let header = self.header.as_deref().unwrap_or_default();
            place.push_str(&if zh {
                format!("{column} 列（{header}）")
            } else {
                format!("column {column} ({header})")
            });
        }
        let what = self.kind.message(zh);
        if place.is_empty() {
            what
        } else {
            format!("{place}: {what}")
        }
    }
}

impl ProblemKind {
    pub fn severity(&self) -> Severity {
        match self {
            ProblemKind::UnknownColumn { .. }
            | ProblemKind::RepeatedColumn { .. }
            | ProblemKind::RatesNotUnderstood
            | ProblemKind::MoneyRounded { .. } => Severity::Warning,
            _ => Severity::Error,
        }
    }

    fn message(&self, zh: bool) -> String {
        match self {
            ProblemKind::UnknownColumn { header } => {
                if zh {
                    format!("未知的列“{header}”，已忽略")
                } else {
                    format!("unknown column {header:?}, ignored")
                }
            }
            ProblemKind::RepeatedColumn { field } => {
                if zh {
                    format!("重复的列“{}”，只读取第一列", field.header_zh())
                } else {
                    format!(
                        "a second column for {}, ignored; the first one is read",
                        field.key()
                    )
                }
            }
            ProblemKind::Missing { field } => {
                if zh {
                    format!("{}不能为空", field.header_zh())
                } else {
                    format!("{} must not be empty", field.key())
                }
            }
            ProblemKind::TooLong {
                field,
                chars,
                limit,
            } => {
                if zh {
                    format!("{}过长（{chars} 字），最多 {limit} 字", field.header_zh())
                } else {
                    format!(
                        "{} is too long ({chars} characters); at most {limit}",
                        field.key()
                    )
                }
            }
            ProblemKind::DuplicateAssetNumber {
                asset_number,
                first_row,
            } => {
                if zh {
                    format!("资产编号“{asset_number}”与第 {first_row} 行重复")
                } else {
                    format!("asset number {asset_number:?} was already given in row {first_row}")
                }
            }
            ProblemKind::UnknownCategory { code } => {
                if zh {
                    format!("分类编码“{code}”不在仪器分类中")
                } else {
                    format!("classification code {code:?} matches no category")
                }
            }
            ProblemKind::NotAMoney { text } => {
                if zh {
                    format!("“{text}”不是金额")
                } else {
                    format!("{text:?} is not an amount of money")
                }
            }
            ProblemKind::NotADate { text } => {
                if zh {
                    format!("“{text}”不是日期（例如 2019-03-15）")
                } else {
                    format!("{text:?} is not a date (e.g. 2019-03-15)")
                }
            }
            ProblemKind::UnknownAccessPolicy { text } => {
                if zh {
                    format!("开放共享方式“{text}”无法识别（对外开放、区域内开放、校内共享）")
                } else {
                    format!("access policy {text:?} is not one of open, region, own institution (对外开放, 区域内开放, 校内共享)")
                }
            }
            ProblemKind::UnknownBookingMode { text } => {
                if zh {
                    format!("预约方式“{text}”无法识别（直接预约、需审核）")
                } else {
                    format!("booking mode {text:?} is not one of instant, needs approval (直接预约, 需审核)")
                }
            }
            ProblemKind::UnknownStatus { text } => {
                if zh {
                    format!("运行状态“{text}”无法识别（正常、维修中、停用）")
                } else {
                    format!("status {text:?} is not one of normal, under repair, out of service (正常, 维修中, 停用)")
                }
            }
            ProblemKind::NotAnEmail { text } => {
                if zh {
                    format!("“{text}”不是电子邮箱地址")
                } else {
                    format!("{text:?} is not an e-mail address")
                }
            }
            ProblemKind::OtherInstitution { text } => {
                if zh {
                    format!("该行属于其他单位（{text}）")
                } else {
                    format!("the row belongs to another institution ({text})")
                }
            }
            ProblemKind::RatesNotUnderstood => {
                if zh {
                    "收费标准按原文保存，但未能读出每小时价格；现有价格不变（新仪器为 0），请在平台上设置".to_owned()
                } else {
                    "the rates are kept as written but give no hourly rates; the rates stay as they were (0 for a new instrument) until set on Corridor".to_owned()
                }
            }
            ProblemKind::MoneyRounded { text } => {
                if zh {
                    format!("金额“{text}”已四舍五入到分")
                } else {
                    format!("the amount {text:?} was rounded to the fen")
                }
            }
        }
    }
}
