//! `GET /openapi.json`: the API contract, an OpenAPI 3.1 document generated from the handlers' `#[utoipa::path]`
//! annotations and the wire types of [`rh_wire::types`] they build and parse, so it cannot drift from them.
//!
//! What every handler shares is added here, once: the statuses of the extractors (a missing or bad token is
//! 401, a client past the failed-authentication limit 429, a database that is down 503; a bad JSON body 400,
//! an oversized one 413), and the original client's alias spellings (`/user/`, `/user//config`,
//! `/resource/`), documented as copies of their routes.

use std::sync::OnceLock;

use axum::http::StatusCode;
use axum::response::Response;
use utoipa::OpenApi;
use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};

use super::{resource, secret, user};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "rh-server",
        description = "rh's self-hostable server: accounts, resources, history, sharing and a Vault proxy for \
                       provider secrets. Answers are `{\"data\": …}`, errors `{\"detail\": \"…\"}`; request bodies \
                       are JSON whatever their Content-Type says.",
    ),
    paths(
        super::health,
        serve,
        user::get_user,
        user::put_config,
        user::revoke_token,
        resource::create,
        resource::list,
        resource::read,
        resource::update,
        resource::delete,
        resource::history,
        resource::purge_history,
        resource::share,
        secret::get_all,
        secret::put_all,
        secret::get_one,
        secret::put_one,
        secret::delete_one,
        secret::history,
        secret::metadata,
        secret::rollback,
    ),
    components(schemas(rh_wire::types::ErrorBody, rh_wire::types::SecretBulkFailure)),
    modifiers(&Shared),
)]
struct ApiDoc;

/// The original client's spellings: alias → the documented route it serves.
pub(crate) const ALIASES: &[(&str, &str)] = &[
    ("/user/", "/user"),
    ("/user//config", "/user/config"),
    ("/resource/", "/resource"),
];

struct Shared;

impl utoipa::Modify for Shared {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        env!("CARGO_PKG_VERSION").clone_into(&mut doc.info.version);
        doc.components
            .get_or_insert_with(Default::default)
            .add_security_scheme(
                "bearer",
                SecurityScheme::Http(
                    HttpBuilder::new()
                        .scheme(HttpAuthScheme::Bearer)
                        .description(Some(
                            "the account token (`rh-server user create` prints it)",
                        ))
                        .build(),
                ),
            );
        for item in doc.paths.paths.values_mut() {
            for op in operations(item) {
                shared_statuses(op);
            }
        }
        for (alias, route) in ALIASES {
            let Some(mut item) = doc.paths.paths.get(*route).cloned() else {
                continue;
            };
            // `/resource/` serves POST only.
            if *alias == "/resource/" {
                item.get = None;
            }
            for op in operations(&mut item) {
                op.operation_id = op.operation_id.take().map(|id| format!("{id}_alias"));
                op.description = Some(format!(
                    "The original client's spelling of `{route}`; the same handler."
                ));
            }
            doc.paths.paths.insert((*alias).to_owned(), item);
        }
    }
}

fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        item.get.as_mut(),
        item.put.as_mut(),
        item.post.as_mut(),
        item.delete.as_mut(),
        item.patch.as_mut(),
    ]
    .into_iter()
    .flatten()
}

/// Adds the statuses the shared extractors answer to one operation (where the handler did not say more).
fn shared_statuses(op: &mut Operation) {
    let authenticated = op.security.as_ref().is_some_and(|s| !s.is_empty());
    let with_body = op.request_body.is_some();
    let mut add = |status: StatusCode, what: &str| {
        let key = status.as_u16().to_string();
        if op.responses.responses.contains_key(&key) {
            return;
        }
        let response = ResponseBuilder::new()
            .description(what)
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(RefOr::Ref(Ref::from_schema_name("ErrorBody"))))
                    .build(),
            )
            .build();
        op.responses.responses.insert(key, RefOr::T(response));
    };
    if authenticated {
        add(
            StatusCode::UNAUTHORIZED,
            "no token, a bad one or an expired one",
        );
        add(
            StatusCode::TOO_MANY_REQUESTS,
            "too many failed authentications from this client (Retry-After)",
        );
        add(
            StatusCode::SERVICE_UNAVAILABLE,
            "the database is unavailable; try again shortly",
        );
    }
    if with_body {
        add(
            StatusCode::BAD_REQUEST,
            "an empty body, malformed json, or a body of the wrong shape",
        );
        add(
            StatusCode::PAYLOAD_TOO_LARGE,
            "the body is larger than --max-body-bytes",
        );
    }
    if op.parameters.as_ref().is_some_and(|p| {
        p.iter()
            .any(|p| p.parameter_in == utoipa::openapi::path::ParameterIn::Path)
    }) {
        add(StatusCode::BAD_REQUEST, "a path segment that is not valid");
    }
}

/// The document, built once.
pub(crate) fn document() -> &'static utoipa::openapi::OpenApi {
    static DOC: OnceLock<utoipa::openapi::OpenApi> = OnceLock::new();
    DOC.get_or_init(ApiDoc::openapi)
}

/// `GET /openapi.json` (no token): this document.
#[utoipa::path(get, path = "/openapi.json", tag = "server",
    responses((status = 200, description = "the OpenAPI 3.1 document of this API", content_type = "application/json", body = Object)))]
pub(super) async fn serve() -> Response {
    super::json_body(StatusCode::OK, document())
}
