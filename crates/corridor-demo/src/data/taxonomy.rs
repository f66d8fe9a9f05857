//! A two-level instrument taxonomy following the classes of the Chinese national
//! classification of large research instruments (大型科研仪器分类) used by the national
//! sharing platform for research facilities and instruments.
//!
//! The class names follow the national classification; the codes ("01" for a top-level
//! class, "0101" for a subclass) are this project's own numbering of those classes and are
//! not claimed to be the official codes.

use super::CategoryRecord;

/// The closed vocabulary of discipline strengths / instrument fields used by
/// [`super::UniversityRecord::strengths`], [`super::InstrumentTemplate::fields`] and
/// [`super::SectorRecord::uses_fields`].
pub static FIELDS: &[&str] = &[
    "physics",
    "chemistry",
    "materials",
    "biology",
    "medicine",
    "engineering",
    "electronics",
    "computing",
    "earth",
    "environment",
    "agriculture",
    "pharmacy",
    "mechanical",
    "aerospace",
    "marine",
    "textiles",
    "energy",
    "mathematics",
];

const fn top(code: &'static str, name_en: &'static str, name_zh: &'static str) -> CategoryRecord {
    CategoryRecord {
        code,
        name_en,
        name_zh,
        parent: None,
    }
}

const fn sub(
    code: &'static str,
    name_en: &'static str,
    name_zh: &'static str,
    parent: &'static str,
) -> CategoryRecord {
    CategoryRecord {
        code,
        name_en,
        name_zh,
        parent: Some(parent),
    }
}

/// Top-level classes followed by their subclasses; every subclass's parent precedes it.
pub static CATEGORIES: &[CategoryRecord] = &[
    // 01 analytical instruments
    top("01", "Analytical instruments", "分析仪器"),
    sub("0101", "Electron optical instruments", "电子光学仪器", "01"),
    sub("0102", "Mass spectrometers", "质谱仪器", "01"),
    sub("0103", "X-ray instruments", "X射线仪器", "01"),
    sub("0104", "Optical spectroscopy instruments", "光谱仪器", "01"),
    sub("0105", "Chromatographs", "色谱仪器", "01"),
    sub("0106", "Magnetic resonance spectrometers", "波谱仪器", "01"),
    sub("0107", "Electrochemical instruments", "电化学仪器", "01"),
    sub(
        "0108",
        "Microscopes and image analysers",
        "显微镜及图像分析仪器",
        "01",
    ),
    sub("0109", "Thermal analysers", "热分析仪器", "01"),
    sub(
        "0110",
        "Biochemical separation and analysis instruments",
        "生化分离分析仪器",
        "01",
    ),
    sub(
        "0111",
        "Environmental and agricultural analysers",
        "环境与农业分析仪器",
        "01",
    ),
    sub(
        "0112",
        "Sample preparation instruments",
        "样品前处理及制备仪器",
        "01",
    ),
    sub("0199", "Other analytical instruments", "其他分析仪器", "01"),
    // 02 physical property testing
    top(
        "02",
        "Physical property testing instruments",
        "物理性能测试仪器",
    ),
    sub(
        "0201",
        "Mechanical property testers",
        "力学性能测试仪器",
        "02",
    ),
    sub("0202", "Geodetic instruments", "大地测量仪器", "02"),
    sub(
        "0203",
        "Optoelectronic measuring instruments",
        "光电测量仪器",
        "02",
    ),
    sub(
        "0204",
        "Acoustic and vibration instruments",
        "声学振动仪器",
        "02",
    ),
    sub("0205", "Particle size instruments", "颗粒度测量仪器", "02"),
    sub("0206", "Flaw detectors", "探伤仪器", "02"),
    sub(
        "0207",
        "Electrical and magnetic property testers",
        "电磁学性能测试仪器",
        "02",
    ),
    sub(
        "0299",
        "Other physical property testing instruments",
        "其他物理性能测试仪器",
        "02",
    ),
    // 03 metrology
    top("03", "Metrology instruments", "计量仪器"),
    sub("0301", "Length metrology instruments", "长度计量仪器", "03"),
    sub(
        "0302",
        "Thermal metrology instruments",
        "热学计量仪器",
        "03",
    ),
    sub(
        "0303",
        "Mechanical metrology instruments",
        "力学计量仪器",
        "03",
    ),
    sub(
        "0304",
        "Electromagnetic metrology instruments",
        "电磁学计量仪器",
        "03",
    ),
    sub(
        "0305",
        "Time and frequency metrology instruments",
        "时间频率计量仪器",
        "03",
    ),
    sub(
        "0306",
        "Optical metrology instruments",
        "光学计量仪器",
        "03",
    ),
    sub("0399", "Other metrology instruments", "其他计量仪器", "03"),
    // 04 electronic measurement
    top("04", "Electronic measuring instruments", "电子测量仪器"),
    sub(
        "0401",
        "General-purpose electronic measuring instruments",
        "通用电子测量仪器",
        "04",
    ),
    sub(
        "0402",
        "RF and microwave test instruments",
        "射频和微波测试仪器",
        "04",
    ),
    sub(
        "0403",
        "Communication test instruments",
        "通讯测量仪器",
        "04",
    ),
    sub("0404", "Network analysers", "网络分析仪器", "04"),
    sub(
        "0405",
        "Semiconductor and integrated-circuit test instruments",
        "大规模集成电路测试仪器",
        "04",
    ),
    sub(
        "0499",
        "Other electronic measuring instruments",
        "其他电子测量仪器",
        "04",
    ),
    // 05 marine
    top("05", "Marine instruments", "海洋仪器"),
    sub("0501", "Hydrographic instruments", "海洋水文测量仪器", "05"),
    sub(
        "0502",
        "Multi-parameter hydro-meteorological systems",
        "多要素水文气象测量系统",
        "05",
    ),
    sub(
        "0503",
        "Marine biological survey instruments",
        "海洋生物调查仪器",
        "05",
    ),
    sub(
        "0504",
        "Marine geophysical survey instruments",
        "海洋地球物理探测仪器",
        "05",
    ),
    sub("0599", "Other marine instruments", "其他海洋仪器", "05"),
    // 06 earth exploration
    top("06", "Earth exploration instruments", "地球探测仪器"),
    sub(
        "0601",
        "Electrical and electromagnetic prospecting instruments",
        "电法及电磁法仪器",
        "06",
    ),
    sub(
        "0602",
        "Gravity and magnetic instruments",
        "重力及磁法仪器",
        "06",
    ),
    sub("0603", "Seismic instruments", "地震仪器", "06"),
    sub("0604", "Well-logging instruments", "地球物理测井仪器", "06"),
    sub(
        "0605",
        "Rock and mineral testing instruments",
        "岩石矿物测试仪器",
        "06",
    ),
    sub(
        "0699",
        "Other earth exploration instruments",
        "其他地球探测仪器",
        "06",
    ),
    // 07 atmospheric
    top("07", "Atmospheric sounding instruments", "大气探测仪器"),
    sub(
        "0701",
        "Surface meteorological instruments",
        "气象台站观测仪器",
        "07",
    ),
    sub(
        "0702",
        "Upper-air sounding instruments",
        "高空气象探测仪器",
        "07",
    ),
    sub(
        "0703",
        "Special atmospheric sounding instruments",
        "特种大气探测仪器",
        "07",
    ),
    sub(
        "0799",
        "Other atmospheric sounding instruments",
        "其他大气探测仪器",
        "07",
    ),
    // 08 special testing
    top("08", "Special testing instruments", "特种检测仪器"),
    sub(
        "0801",
        "Environmental simulation and reliability test equipment",
        "环境模拟与可靠性试验设备",
        "08",
    ),
    sub(
        "0802",
        "Electromagnetic compatibility test systems",
        "电磁兼容测试仪器",
        "08",
    ),
    sub("0803", "Aerospace test equipment", "航空航天检测仪器", "08"),
    sub("0804", "Security inspection instruments", "安检仪器", "08"),
    sub(
        "0899",
        "Other special testing instruments",
        "其他特种检测仪器",
        "08",
    ),
    // 09 astronomy
    top("09", "Astronomical instruments", "天文仪器"),
    sub("0901", "Optical telescopes", "光学望远镜", "09"),
    sub("0902", "Radio telescopes", "射电望远镜", "09"),
    sub(
        "0903",
        "Astronomical terminal instruments",
        "天文终端设备",
        "09",
    ),
    sub(
        "0999",
        "Other astronomical instruments",
        "其他天文仪器",
        "09",
    ),
    // 10 medical research
    top("10", "Medical research instruments", "医学科研仪器"),
    sub(
        "1001",
        "Clinical laboratory analysers",
        "临床检验分析仪器",
        "10",
    ),
    sub("1002", "Medical imaging equipment", "影像诊断仪器", "10"),
    sub(
        "1003",
        "Electrophysiology and diagnostic instruments",
        "电子诊察仪器",
        "10",
    ),
    sub(
        "1004",
        "Laboratory animal research equipment",
        "动物实验设备",
        "10",
    ),
    sub(
        "1099",
        "Other medical research instruments",
        "其他医学科研仪器",
        "10",
    ),
    // 11 nuclear
    top("11", "Nuclear instruments", "核仪器"),
    sub(
        "1101",
        "Radiation detection instruments",
        "核辐射探测仪器",
        "11",
    ),
    sub(
        "1102",
        "Ion-beam and accelerator analysis instruments",
        "离子束分析仪器",
        "11",
    ),
    sub(
        "1103",
        "Radiation dosimetry and protection instruments",
        "射线计量与防护仪器",
        "11",
    ),
    sub("1199", "Other nuclear instruments", "其他核仪器", "11"),
    // 12 process equipment
    top("12", "Process and experimental equipment", "工艺实验设备"),
    sub(
        "1201",
        "Micro- and nano-fabrication equipment",
        "微纳加工设备",
        "12",
    ),
    sub(
        "1202",
        "Thin-film deposition equipment",
        "薄膜制备设备",
        "12",
    ),
    sub(
        "1203",
        "Materials synthesis and heat-treatment equipment",
        "材料合成与热处理设备",
        "12",
    ),
    sub(
        "1204",
        "Machining and additive manufacturing equipment",
        "加工与增材制造设备",
        "12",
    ),
    sub("1205", "Bioprocess equipment", "生物工艺实验设备", "12"),
    sub("1299", "Other process equipment", "其他工艺实验设备", "12"),
    // 13 computers
    top(
        "13",
        "Computers and ancillary equipment",
        "计算机及其配套设备",
    ),
    sub(
        "1301",
        "High-performance computing systems",
        "高性能计算设备",
        "13",
    ),
    sub("1302", "Storage systems", "存储设备", "13"),
    sub("1399", "Other computing equipment", "其他计算机设备", "13"),
    // 14 lasers
    top("14", "Lasers", "激光器"),
    sub("1401", "Solid-state lasers", "固体激光器", "14"),
    sub("1402", "Ultrafast lasers", "超快激光器", "14"),
    sub("1403", "Gas lasers", "气体激光器", "14"),
    sub(
        "1404",
        "Semiconductor and fibre lasers",
        "半导体及光纤激光器",
        "14",
    ),
    sub("1499", "Other lasers", "其他激光器", "14"),
    // 99 others
    top("99", "Other instruments", "其他仪器"),
    sub(
        "9901",
        "Cell and tissue culture equipment",
        "细胞与组织培养设备",
        "99",
    ),
    sub(
        "9902",
        "Cryogenic and low-temperature equipment",
        "低温设备",
        "99",
    ),
    sub("9999", "Miscellaneous instruments", "其他", "99"),
];
