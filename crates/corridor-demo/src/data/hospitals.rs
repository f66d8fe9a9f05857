//! Large research (tertiary, grade A) hospitals in the Yangtze River Delta, most of them
//! affiliated with a medical school.

use super::HospitalRecord;

const fn h(name_zh: &'static str, name_en: &'static str, city_adcode: u32) -> HospitalRecord {
    HospitalRecord {
        name_zh,
        name_en,
        city_adcode,
    }
}

const SH: u32 = 310000;
const NANJING: u32 = 320100;
const XUZHOU: u32 = 320300;
const SUZHOU_JS: u32 = 320500;
const NANTONG: u32 = 320600;
const HANGZHOU: u32 = 330100;
const NINGBO: u32 = 330200;
const WENZHOU: u32 = 330300;
const HEFEI: u32 = 340100;
const WUHU: u32 = 340200;
const BENGBU: u32 = 340300;

/// Research hospitals of the region.
pub static HOSPITALS: &[HospitalRecord] = &[
    // Shanghai
    h(
        "复旦大学附属中山医院",
        "Zhongshan Hospital, Fudan University",
        SH,
    ),
    h(
        "复旦大学附属华山医院",
        "Huashan Hospital, Fudan University",
        SH,
    ),
    h(
        "复旦大学附属肿瘤医院",
        "Fudan University Shanghai Cancer Center",
        SH,
    ),
    h(
        "复旦大学附属儿科医院",
        "Children's Hospital of Fudan University",
        SH,
    ),
    h(
        "上海交通大学医学院附属瑞金医院",
        "Ruijin Hospital, Shanghai Jiao Tong University School of Medicine",
        SH,
    ),
    h(
        "上海交通大学医学院附属仁济医院",
        "Renji Hospital, Shanghai Jiao Tong University School of Medicine",
        SH,
    ),
    h(
        "上海交通大学医学院附属第九人民医院",
        "Shanghai Ninth People's Hospital, Shanghai Jiao Tong University School of Medicine",
        SH,
    ),
    h("上海市第六人民医院", "Shanghai Sixth People's Hospital", SH),
    h(
        "同济大学附属上海市肺科医院",
        "Shanghai Pulmonary Hospital, Tongji University",
        SH,
    ),
    h(
        "上海中医药大学附属龙华医院",
        "Longhua Hospital, Shanghai University of Traditional Chinese Medicine",
        SH,
    ),
    // Jiangsu
    h(
        "江苏省人民医院",
        "Jiangsu Province Hospital (The First Affiliated Hospital of Nanjing Medical University)",
        NANJING,
    ),
    h("南京鼓楼医院", "Nanjing Drum Tower Hospital", NANJING),
    h(
        "东南大学附属中大医院",
        "Zhongda Hospital, Southeast University",
        NANJING,
    ),
    h("江苏省肿瘤医院", "Jiangsu Cancer Hospital", NANJING),
    h(
        "苏州大学附属第一医院",
        "The First Affiliated Hospital of Soochow University",
        SUZHOU_JS,
    ),
    h(
        "徐州医科大学附属医院",
        "The Affiliated Hospital of Xuzhou Medical University",
        XUZHOU,
    ),
    h(
        "南通大学附属医院",
        "Affiliated Hospital of Nantong University",
        NANTONG,
    ),
    // Zhejiang
    h(
        "浙江大学医学院附属第一医院",
        "The First Affiliated Hospital, Zhejiang University School of Medicine",
        HANGZHOU,
    ),
    h(
        "浙江大学医学院附属第二医院",
        "The Second Affiliated Hospital, Zhejiang University School of Medicine",
        HANGZHOU,
    ),
    h(
        "浙江大学医学院附属邵逸夫医院",
        "Sir Run Run Shaw Hospital, Zhejiang University School of Medicine",
        HANGZHOU,
    ),
    h(
        "浙江省人民医院",
        "Zhejiang Provincial People's Hospital",
        HANGZHOU,
    ),
    h("浙江省肿瘤医院", "Zhejiang Cancer Hospital", HANGZHOU),
    h(
        "温州医科大学附属第一医院",
        "The First Affiliated Hospital of Wenzhou Medical University",
        WENZHOU,
    ),
    h("宁波市第一医院", "Ningbo First Hospital", NINGBO),
    // Anhui
    h(
        "中国科学技术大学附属第一医院",
        "The First Affiliated Hospital of USTC (Anhui Provincial Hospital)",
        HEFEI,
    ),
    h(
        "安徽医科大学第一附属医院",
        "The First Affiliated Hospital of Anhui Medical University",
        HEFEI,
    ),
    h(
        "皖南医学院第一附属医院",
        "Yijishan Hospital, The First Affiliated Hospital of Wannan Medical College",
        WUHU,
    ),
    h(
        "蚌埠医科大学第一附属医院",
        "The First Affiliated Hospital of Bengbu Medical University",
        BENGBU,
    ),
];
