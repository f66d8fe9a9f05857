//! Links between operations (OpenAPI 3 `links`): which operations the answer of another
//! opens, and with which of its values. A client (or a test generator such as schemathesis's
//! stateful phase) follows them from what it created to what it may do next: a booking just
//! made can be read, cancelled, rescheduled and have its usage recorded; a proposal just
//! drafted can be submitted or withdrawn.
//!
//! They are written here as one table instead of on each handler's attribute, so that the
//! whole graph reads in one place; `document_links` refuses (panics at start-up, and in every
//! test that builds the document) a link to an operation that does not exist.
//!
//! utoipa 5.5's own `Link` serialises its fields in snake case (`operation_id`), which no
//! OpenAPI reader understands, so the links are written as the JSON the specification shows
//! (`operationId`) and placed under the response's `links` key through its extensions map,
//! which utoipa flattens into the response object as it is.

use serde_json::{json, Map, Value};
use utoipa::openapi::extensions::Extensions;
use utoipa::openapi::{OpenApi, RefOr};

/// One link: the answer `status` of `from` opens `to`, with its parameters taken from the
/// runtime expressions given (`$response.body#/id`, `$request.path.id`, …).
pub(crate) struct OperationLink {
    pub from: &'static str,
    pub status: &'static str,
    pub to: &'static str,
    pub parameters: &'static [(&'static str, &'static str)],
}

const CREATED_ID: &[(&str, &str)] = &[("id", "$response.body#/id")];

const fn created(from: &'static str, to: &'static str) -> OperationLink {
    OperationLink {
        from,
        status: "201",
        to,
        parameters: CREATED_ID,
    }
}

pub(crate) const OPERATION_LINKS: &[OperationLink] = &[
    created("create_booking", "get_booking"),
    created("create_booking", "cancel_booking"),
    created("create_booking", "reschedule_booking"),
    created("create_booking", "record_usage"),
    created("create_booking", "approve_booking"),
    created("create_booking", "reject_booking"),
    created("create_instrument", "get_instrument"),
    created("create_instrument", "update_instrument"),
    created("create_instrument", "delete_instrument"),
    created("create_instrument", "get_calendar"),
    created("create_instrument", "update_calendar_rules"),
    created("create_instrument", "add_closure"),
    created("create_instrument", "quote_booking"),
    created("create_instrument", "list_qualifications"),
    created("create_instrument", "grant_qualification"),
    OperationLink {
        from: "add_closure",
        status: "201",
        to: "remove_closure",
        parameters: &[
            ("id", "$request.path.id"),
            ("closure_id", "$response.body#/id"),
        ],
    },
    OperationLink {
        from: "grant_qualification",
        status: "201",
        to: "revoke_qualification",
        parameters: &[
            ("id", "$request.path.id"),
            ("user_id", "$request.body#/user_id"),
        ],
    },
    created("create_cycle", "get_cycle"),
    created("create_cycle", "create_proposal"),
    created("create_cycle", "list_cycle_proposals"),
    created("create_cycle", "get_schedule"),
    created("create_cycle", "get_statistics"),
    created("create_cycle", "assign_reviewers"),
    created("create_cycle", "run_allocation"),
    created("create_proposal", "get_proposal"),
    created("create_proposal", "submit_proposal"),
    created("create_proposal", "withdraw_proposal"),
    created("create_proposal", "record_check"),
    created("create_proposal", "grade_proposal"),
    created("create_programme", "get_programme"),
    created("create_programme", "apply"),
    created("apply", "decide_application"),
    created("create_token", "revoke_my_token"),
];

/// Adds [`OPERATION_LINKS`] to the responses they start from.
///
/// # Panics
/// When a link names an operation or a response the document does not have: the table and
/// the handlers' attributes disagree, which the first test that builds the document shows.
pub(crate) fn document_links(document: &mut OpenApi) {
    let known: std::collections::BTreeSet<String> = operations(document)
        .filter_map(|operation| operation.operation_id.clone())
        .collect();
    for link in OPERATION_LINKS {
        assert!(
            known.contains(link.to),
            "the link from {} names an unknown operation {}",
            link.from,
            link.to
        );
        let operation = operations_mut(document)
            .find(|operation| operation.operation_id.as_deref() == Some(link.from))
            .unwrap_or_else(|| panic!("a link starts at an unknown operation {}", link.from));
        let Some(RefOr::T(response)) = operation.responses.responses.get_mut(link.status) else {
            panic!(
                "{} has no inline {} answer to link from",
                link.from, link.status
            )
        };
        let parameters: Map<String, Value> = link
            .parameters
            .iter()
            .map(|(name, expression)| ((*name).to_owned(), json!(expression)))
            .collect();
        let extensions = response.extensions.get_or_insert_with(Extensions::default);
        let links = extensions
            .entry("links".to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        links
            .as_object_mut()
            .expect("the links of a response are an object")
            .insert(
                link_name(link.to),
                json!({ "operationId": link.to, "parameters": parameters }),
            );
    }
}

/// The links written on one answer, as the document serves them.
#[cfg(test)]
fn links_of(response: &utoipa::openapi::Response) -> Option<&Map<String, Value>> {
    response.extensions.as_ref()?.get("links")?.as_object()
}

/// `get_booking` → `GetBooking`: links are named like the operations they open.
fn link_name(operation_id: &str) -> String {
    operation_id
        .split('_')
        .map(|word| {
            let mut characters = word.chars();
            characters
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + characters.as_str())
                .unwrap_or_default()
        })
        .collect()
}

fn operations(document: &OpenApi) -> impl Iterator<Item = &utoipa::openapi::path::Operation> {
    document.paths.paths.values().flat_map(|item| {
        [&item.get, &item.put, &item.post, &item.delete, &item.patch]
            .into_iter()
            .flatten()
    })
}

fn operations_mut(
    document: &mut OpenApi,
) -> impl Iterator<Item = &mut utoipa::openapi::path::Operation> {
    document.paths.paths.values_mut().flat_map(|item| {
        [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ]
        .into_iter()
        .flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The served document spells the link's fields as OpenAPI does.
    #[test]
    fn links_are_served_as_the_specification_spells_them() {
        let document = serde_json::to_value(crate::openapi()).unwrap();
        let links = &document["paths"]["/bookings"]["post"]["responses"]["201"]["links"];
        assert_eq!(links["GetBooking"]["operationId"], json!("get_booking"));
        assert_eq!(
            links["GetBooking"]["parameters"]["id"],
            json!("$response.body#/id")
        );
        assert!(links["GetBooking"].get("operation_id").is_none());
    }

    #[test]
    fn link_names_read_like_operations() {
        assert_eq!(link_name("get_booking"), "GetBooking");
        assert_eq!(link_name("apply"), "Apply");
    }

    /// Every link's parameters are parameters of the operation it opens, and every value it
    /// takes from an answer's body is a property of that answer's schema.
    #[test]
    fn every_link_fits_both_of_its_operations() {
        let document = crate::openapi();
        let schemas = &document.components.as_ref().unwrap().schemas;
        for link in OPERATION_LINKS {
            let to = operations(&document)
                .find(|operation| operation.operation_id.as_deref() == Some(link.to))
                .unwrap();
            let parameters: Vec<&str> = to
                .parameters
                .iter()
                .flatten()
                .map(|parameter| parameter.name.as_str())
                .collect();
            let from = operations(&document)
                .find(|operation| operation.operation_id.as_deref() == Some(link.from))
                .unwrap();
            let RefOr::T(response) = &from.responses.responses[link.status] else {
                unreachable!()
            };
            let written = &links_of(response).expect("the answer has links")[&link_name(link.to)];
            assert_eq!(written["operationId"], json!(link.to));
            for (name, expression) in link.parameters {
                assert!(
                    parameters.contains(name),
                    "{} has no parameter {name}: {parameters:?}",
                    link.to
                );
                let Some(property) = expression.strip_prefix("$response.body#/") else {
                    continue;
                };
                let schema = response.content["application/json"]
                    .schema
                    .as_ref()
                    .expect("a body schema");
                let RefOr::Ref(reference) = schema else {
                    panic!("{} {} answers an inline schema", link.from, link.status)
                };
                let name = reference.ref_location.rsplit('/').next().unwrap();
                let RefOr::T(utoipa::openapi::schema::Schema::Object(object)) = &schemas[name]
                else {
                    panic!("{name} is not an object schema")
                };
                assert!(
                    object.properties.contains_key(property),
                    "{name} has no property {property}"
                );
            }
        }
    }
}
