use std::collections::HashMap;
use std::sync::OnceLock;

use corridor_demo::{DemoRegion, DemoScale};
use corridor_search::{SearchDocument, SearchIndex};

/// Search documents for a generated region, joined the way the store joins them.
pub fn documents(region: &DemoRegion) -> Vec<SearchDocument> {
    let institutions: HashMap<_, _> = region
        .institutions
        .iter()
        .map(|institution| (institution.id, institution))
        .collect();
    let sites: HashMap<_, _> = region.sites.iter().map(|site| (site.id, site)).collect();
    let cities: HashMap<_, _> = region.cities.iter().map(|city| (city.code, city)).collect();
    let categories: HashMap<_, _> = region
        .categories
        .iter()
        .map(|category| (category.code.clone(), category))
        .collect();
    region
        .instruments
        .iter()
        .map(|instrument| {
            let institution = institutions[&instrument.institution];
            let site = sites[&instrument.site];
            let city = cities[&site.city];
            let category = categories[&instrument.category];
            let class = categories[&instrument.category.top_level()];
            SearchDocument {
                id: instrument.id,
                name_en: instrument.name_en.clone(),
                name_zh: instrument.name_zh.clone(),
                description_en: instrument.description_en.clone(),
                description_zh: instrument.description_zh.clone(),
                category: instrument.category.clone(),
                category_name_en: category.name_en.clone(),
                category_name_zh: category.name_zh.clone(),
                class_name_en: class.name_en.clone(),
                class_name_zh: class.name_zh.clone(),
                techniques: instrument.techniques.clone(),
                keywords: instrument.keywords.clone(),
                manufacturer: instrument.manufacturer.clone(),
                model: instrument.model.clone(),
                institution: institution.id,
                institution_name_en: institution.name_en.clone(),
                institution_name_zh: institution.name_zh.clone(),
                institution_kind: institution.kind,
                city: city.code,
                city_name_en: city.name_en.clone(),
                city_name_zh: city.name_zh.clone(),
                province: city.province,
                location: site.location,
                access_policy: instrument.access_policy,
                booking_mode: instrument.booking_mode,
                training_required: instrument.training_required,
                rates: instrument.rates,
            }
        })
        .collect()
}

/// The full demo region's documents and index, built once for the whole test binary.
pub fn full_index() -> &'static (Vec<SearchDocument>, SearchIndex) {
    static INDEX: OnceLock<(Vec<SearchDocument>, SearchIndex)> = OnceLock::new();
    INDEX.get_or_init(|| {
        let region = corridor_demo::generate(
            corridor_demo::DEFAULT_SEED,
            DemoScale::full(),
            &mut |_, _, _| {},
        );
        let documents = documents(&region);
        let index = SearchIndex::build(documents.clone()).expect("the index builds");
        (documents, index)
    })
}
