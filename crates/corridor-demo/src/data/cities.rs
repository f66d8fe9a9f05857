//! Cities: the 41 prefecture-level cities of the Yangtze River Delta and a dozen major
//! cities elsewhere in China.
//!
//! Adcodes are the National Bureau of Statistics administrative division codes of the
//! prefecture (Shanghai, a province-level municipality, uses its province code 310000).
//! Coordinates are WGS-84 approximations of each city's central district (to about a
//! kilometre); they are not the GCJ-02 values shown by Chinese web maps.

use super::CityRecord;

const fn c(
    adcode: u32,
    name_en: &'static str,
    name_zh: &'static str,
    province: &'static str,
    lon: f64,
    lat: f64,
    activity_weight: u32,
) -> CityRecord {
    CityRecord {
        adcode,
        name_en,
        name_zh,
        province,
        lon,
        lat,
        activity_weight,
    }
}

/// The 41 prefecture-level cities of the Delta: Shanghai (1), Jiangsu (13), Zhejiang (11), Anhui (16).
pub static CITIES: &[CityRecord] = &[
    // Shanghai
    c(310000, "Shanghai", "上海市", "SH", 121.4692, 31.2323, 100),
    // Jiangsu
    c(320100, "Nanjing", "南京市", "JS", 118.7780, 32.0440, 85),
    c(320200, "Wuxi", "无锡市", "JS", 120.2960, 31.5700, 55),
    c(320300, "Xuzhou", "徐州市", "JS", 117.1800, 34.2640, 30),
    c(320400, "Changzhou", "常州市", "JS", 119.9680, 31.8130, 45),
    c(320500, "Suzhou", "苏州市", "JS", 120.5800, 31.3010, 75),
    c(320600, "Nantong", "南通市", "JS", 120.8890, 31.9830, 35),
    c(
        320700,
        "Lianyungang",
        "连云港市",
        "JS",
        119.2170,
        34.5990,
        18,
    ),
    c(320800, "Huai'an", "淮安市", "JS", 119.0160, 33.6130, 14),
    c(320900, "Yancheng", "盐城市", "JS", 120.1570, 33.3510, 18),
    c(321000, "Yangzhou", "扬州市", "JS", 119.4160, 32.3960, 25),
    c(321100, "Zhenjiang", "镇江市", "JS", 119.4490, 32.2070, 25),
    c(321200, "Taizhou", "泰州市", "JS", 119.9200, 32.4580, 20),
    c(321300, "Suqian", "宿迁市", "JS", 118.2720, 33.9650, 8),
    // Zhejiang
    c(330100, "Hangzhou", "杭州市", "ZJ", 120.1550, 30.2750, 85),
    c(330200, "Ningbo", "宁波市", "ZJ", 121.5450, 29.8700, 50),
    c(330300, "Wenzhou", "温州市", "ZJ", 120.6950, 28.0000, 30),
    c(330400, "Jiaxing", "嘉兴市", "ZJ", 120.7500, 30.7500, 30),
    c(330500, "Huzhou", "湖州市", "ZJ", 120.0880, 30.8970, 18),
    c(330600, "Shaoxing", "绍兴市", "ZJ", 120.5800, 30.0320, 25),
    c(330700, "Jinhua", "金华市", "ZJ", 119.6420, 29.0830, 22),
    c(330800, "Quzhou", "衢州市", "ZJ", 118.8630, 28.9400, 8),
    c(330900, "Zhoushan", "舟山市", "ZJ", 122.2030, 29.9880, 10),
    c(331000, "Taizhou", "台州市", "ZJ", 121.4160, 28.6590, 18),
    c(331100, "Lishui", "丽水市", "ZJ", 119.9180, 28.4540, 6),
    // Anhui
    c(340100, "Hefei", "合肥市", "AH", 117.2240, 31.8230, 75),
    c(340200, "Wuhu", "芜湖市", "AH", 118.3700, 31.3320, 30),
    c(340300, "Bengbu", "蚌埠市", "AH", 117.3840, 32.9190, 14),
    c(340400, "Huainan", "淮南市", "AH", 117.0130, 32.6290, 10),
    c(340500, "Ma'anshan", "马鞍山市", "AH", 118.5030, 31.6730, 14),
    c(340600, "Huaibei", "淮北市", "AH", 116.7930, 33.9590, 8),
    c(340700, "Tongling", "铜陵市", "AH", 117.8090, 30.9500, 8),
    c(340800, "Anqing", "安庆市", "AH", 117.0530, 30.5290, 10),
    c(341000, "Huangshan", "黄山市", "AH", 118.3330, 29.7160, 5),
    c(341100, "Chuzhou", "滁州市", "AH", 118.3130, 32.3050, 12),
    c(341200, "Fuyang", "阜阳市", "AH", 115.8120, 32.8910, 9),
    c(341300, "Suzhou", "宿州市", "AH", 116.9610, 33.6490, 6),
    c(341500, "Lu'an", "六安市", "AH", 116.5170, 31.7400, 7),
    c(341600, "Bozhou", "亳州市", "AH", 115.7750, 33.8480, 5),
    c(341700, "Chizhou", "池州市", "AH", 117.4870, 30.6590, 4),
    c(341800, "Xuancheng", "宣城市", "AH", 118.7530, 30.9420, 7),
];

/// Major cities outside the region (province "OUT"), home of outside users and universities.
/// Beijing and Tianjin are province-level municipalities and use their province code.
pub static OUTSIDE_CITIES: &[CityRecord] = &[
    c(110000, "Beijing", "北京市", "OUT", 116.3912, 39.9067, 100),
    c(120000, "Tianjin", "天津市", "OUT", 117.2000, 39.1290, 45),
    c(420100, "Wuhan", "武汉市", "OUT", 114.3000, 30.5930, 60),
    c(440100, "Guangzhou", "广州市", "OUT", 113.2600, 23.1300, 70),
    c(440300, "Shenzhen", "深圳市", "OUT", 114.0540, 22.5430, 80),
    c(510100, "Chengdu", "成都市", "OUT", 104.0650, 30.6590, 55),
    c(610100, "Xi'an", "西安市", "OUT", 108.9400, 34.2620, 50),
    c(430100, "Changsha", "长沙市", "OUT", 112.9390, 28.2280, 40),
    c(370100, "Jinan", "济南市", "OUT", 117.0000, 36.6670, 35),
    c(370200, "Qingdao", "青岛市", "OUT", 120.3820, 36.0670, 35),
    c(230100, "Harbin", "哈尔滨市", "OUT", 126.6350, 45.7560, 30),
    c(210200, "Dalian", "大连市", "OUT", 121.6140, 38.9140, 30),
];
