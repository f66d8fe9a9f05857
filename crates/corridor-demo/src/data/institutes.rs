//! Research institutes and laboratories in the Yangtze River Delta: institutes of the
//! Chinese Academy of Sciences (CAS), national and provincial laboratories, provincial
//! academies and a few other public research centres.

use super::InstituteRecord;

const fn i(
    name_zh: &'static str,
    name_en: &'static str,
    city_adcode: u32,
    strengths: &'static [&'static str],
) -> InstituteRecord {
    InstituteRecord {
        name_zh,
        name_en,
        city_adcode,
        strengths,
    }
}

const SH: u32 = 310000;
const NANJING: u32 = 320100;
const WUXI: u32 = 320200;
const SUZHOU_JS: u32 = 320500;
const HANGZHOU: u32 = 330100;
const NINGBO: u32 = 330200;
const WENZHOU: u32 = 330300;
const JIAXING: u32 = 330400;
const HEFEI: u32 = 340100;

/// Research institutes and laboratories of the region.
pub static INSTITUTES: &[InstituteRecord] = &[
    // ---------------------------------------------------------------- Shanghai
    i(
        "中国科学院上海高等研究院",
        "Shanghai Advanced Research Institute, CAS",
        SH,
        &["physics", "energy", "materials", "chemistry", "biology"],
    ),
    i(
        "中国科学院上海应用物理研究所",
        "Shanghai Institute of Applied Physics, CAS",
        SH,
        &["physics", "energy", "materials", "chemistry"],
    ),
    i(
        "中国科学院上海光学精密机械研究所",
        "Shanghai Institute of Optics and Fine Mechanics, CAS",
        SH,
        &["physics", "materials", "electronics"],
    ),
    i(
        "中国科学院上海微系统与信息技术研究所",
        "Shanghai Institute of Microsystem and Information Technology, CAS",
        SH,
        &["electronics", "materials", "physics"],
    ),
    i(
        "中国科学院上海技术物理研究所",
        "Shanghai Institute of Technical Physics, CAS",
        SH,
        &["physics", "aerospace", "electronics"],
    ),
    i(
        "中国科学院上海硅酸盐研究所",
        "Shanghai Institute of Ceramics, CAS",
        SH,
        &["materials", "chemistry", "energy"],
    ),
    i(
        "中国科学院上海有机化学研究所",
        "Shanghai Institute of Organic Chemistry, CAS",
        SH,
        &["chemistry", "pharmacy", "biology"],
    ),
    i(
        "中国科学院上海药物研究所",
        "Shanghai Institute of Materia Medica, CAS",
        SH,
        &["pharmacy", "chemistry", "biology"],
    ),
    i(
        "中国科学院分子细胞科学卓越创新中心",
        "Center for Excellence in Molecular Cell Science, CAS",
        SH,
        &["biology", "medicine", "chemistry"],
    ),
    i(
        "中国科学院脑科学与智能技术卓越创新中心",
        "Center for Excellence in Brain Science and Intelligence Technology, CAS",
        SH,
        &["biology", "medicine", "computing"],
    ),
    i(
        "中国科学院分子植物科学卓越创新中心",
        "Center for Excellence in Molecular Plant Sciences, CAS",
        SH,
        &["biology", "agriculture"],
    ),
    i(
        "中国科学院上海营养与健康研究所",
        "Shanghai Institute of Nutrition and Health, CAS",
        SH,
        &["biology", "medicine"],
    ),
    i(
        "中国科学院上海免疫与感染研究所",
        "Shanghai Institute of Immunity and Infection, CAS",
        SH,
        &["biology", "medicine"],
    ),
    i(
        "中国科学院上海天文台",
        "Shanghai Astronomical Observatory, CAS",
        SH,
        &["physics", "earth", "aerospace"],
    ),
    i(
        "张江实验室",
        "Zhangjiang Laboratory",
        SH,
        &["physics", "biology", "electronics", "computing"],
    ),
    i(
        "上海人工智能实验室",
        "Shanghai Artificial Intelligence Laboratory",
        SH,
        &["computing", "mathematics"],
    ),
    i(
        "上海市计量测试技术研究院",
        "Shanghai Institute of Measurement and Testing Technology",
        SH,
        &["engineering", "physics", "chemistry"],
    ),
    i(
        "上海市农业科学院",
        "Shanghai Academy of Agricultural Sciences",
        SH,
        &["agriculture", "biology"],
    ),
    i(
        "上海超级计算中心",
        "Shanghai Supercomputer Center",
        SH,
        &["computing", "mathematics"],
    ),
    // ---------------------------------------------------------------- Jiangsu
    i(
        "紫金山实验室",
        "Purple Mountain Laboratories",
        NANJING,
        &["electronics", "computing"],
    ),
    i(
        "中国科学院紫金山天文台",
        "Purple Mountain Observatory, CAS",
        NANJING,
        &["physics", "aerospace"],
    ),
    i(
        "中国科学院南京地质古生物研究所",
        "Nanjing Institute of Geology and Palaeontology, CAS",
        NANJING,
        &["earth", "biology"],
    ),
    i(
        "中国科学院南京土壤研究所",
        "Institute of Soil Science, CAS",
        NANJING,
        &["agriculture", "environment", "earth"],
    ),
    i(
        "中国科学院南京地理与湖泊研究所",
        "Nanjing Institute of Geography and Limnology, CAS",
        NANJING,
        &["earth", "environment"],
    ),
    i(
        "江苏省中国科学院植物研究所",
        "Institute of Botany, Jiangsu Province and Chinese Academy of Sciences",
        NANJING,
        &["biology", "agriculture", "pharmacy"],
    ),
    i(
        "江苏省农业科学院",
        "Jiangsu Academy of Agricultural Sciences",
        NANJING,
        &["agriculture", "biology"],
    ),
    i(
        "江苏省产业技术研究院",
        "Jiangsu Industrial Technology Research Institute",
        NANJING,
        &["engineering", "materials", "electronics"],
    ),
    i(
        "中国科学院苏州纳米技术与纳米仿生研究所",
        "Suzhou Institute of Nano-Tech and Nano-Bionics, CAS",
        SUZHOU_JS,
        &["materials", "electronics", "physics", "biology"],
    ),
    i(
        "中国科学院苏州生物医学工程技术研究所",
        "Suzhou Institute of Biomedical Engineering and Technology, CAS",
        SUZHOU_JS,
        &["medicine", "engineering", "physics"],
    ),
    i(
        "苏州实验室",
        "Suzhou Laboratory",
        SUZHOU_JS,
        &["materials", "physics", "chemistry"],
    ),
    i(
        "国家超级计算无锡中心",
        "National Supercomputing Center in Wuxi",
        WUXI,
        &["computing", "mathematics"],
    ),
    i(
        "中国船舶科学研究中心",
        "China Ship Scientific Research Center",
        WUXI,
        &["marine", "mechanical", "engineering"],
    ),
    // ---------------------------------------------------------------- Zhejiang
    i(
        "之江实验室",
        "Zhejiang Lab",
        HANGZHOU,
        &["computing", "electronics", "mathematics"],
    ),
    i(
        "西湖实验室",
        "Westlake Laboratory of Life Sciences and Biomedicine",
        HANGZHOU,
        &["biology", "medicine"],
    ),
    i(
        "良渚实验室",
        "Liangzhu Laboratory",
        HANGZHOU,
        &["medicine", "biology"],
    ),
    i(
        "中国科学院杭州医学研究所",
        "Hangzhou Institute of Medicine, CAS",
        HANGZHOU,
        &["medicine", "pharmacy", "biology"],
    ),
    i(
        "中国科学院大学杭州高等研究院",
        "Hangzhou Institute for Advanced Study, UCAS",
        HANGZHOU,
        &["physics", "chemistry", "materials"],
    ),
    i(
        "自然资源部第二海洋研究所",
        "Second Institute of Oceanography, MNR",
        HANGZHOU,
        &["marine", "earth", "environment"],
    ),
    i(
        "浙江省农业科学院",
        "Zhejiang Academy of Agricultural Sciences",
        HANGZHOU,
        &["agriculture", "biology"],
    ),
    i(
        "中国科学院宁波材料技术与工程研究所",
        "Ningbo Institute of Materials Technology and Engineering, CAS",
        NINGBO,
        &["materials", "energy", "chemistry", "mechanical"],
    ),
    i(
        "甬江实验室",
        "Yongjiang Laboratory",
        NINGBO,
        &["materials", "electronics"],
    ),
    i(
        "中国科学院大学温州研究院",
        "Wenzhou Institute, UCAS",
        WENZHOU,
        &["biology", "medicine", "materials"],
    ),
    i(
        "浙江清华长三角研究院",
        "Yangtze Delta Region Institute of Tsinghua University, Zhejiang",
        JIAXING,
        &["engineering", "environment", "biology"],
    ),
    // ---------------------------------------------------------------- Anhui
    i(
        "中国科学院合肥物质科学研究院",
        "Hefei Institutes of Physical Science, CAS",
        HEFEI,
        &["physics", "energy", "materials", "environment"],
    ),
    i(
        "中国科学院等离子体物理研究所",
        "Institute of Plasma Physics, CAS",
        HEFEI,
        &["physics", "energy", "engineering"],
    ),
    i(
        "中国科学院强磁场科学中心",
        "High Magnetic Field Laboratory, CAS",
        HEFEI,
        &["physics", "materials", "chemistry"],
    ),
    i(
        "合肥微尺度物质科学国家研究中心",
        "Hefei National Research Center for Physical Sciences at the Microscale",
        HEFEI,
        &["physics", "chemistry", "biology", "materials"],
    ),
    i(
        "国家同步辐射实验室",
        "National Synchrotron Radiation Laboratory",
        HEFEI,
        &["physics", "chemistry", "materials"],
    ),
    i(
        "合肥国家实验室",
        "Hefei National Laboratory",
        HEFEI,
        &["physics", "computing", "electronics"],
    ),
    i(
        "深空探测实验室",
        "Deep Space Exploration Laboratory",
        HEFEI,
        &["aerospace", "physics", "earth"],
    ),
    i(
        "安徽省农业科学院",
        "Anhui Academy of Agricultural Sciences",
        HEFEI,
        &["agriculture", "biology"],
    ),
];
