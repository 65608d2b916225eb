//! The URLs under the FHIR base that carry parameters, matched by hand: actix-web tries a
//! route pattern with parameters as a regular expression, one after the other, and that walk
//! was a sixth of an EOB read's CPU. Here the path is split once and its segments decide.
//!
//! The table, in the order the patterns were mounted before (the Bulk Data ones first, so
//! `bulkstatus/{job}` is not a read):
//!
//! | path | methods | otherwise |
//! |---|---|---|
//! | `Group/{id}/$export` | GET, POST | 405 with `Allow` |
//! | `bulkstatus/{job}` | GET, DELETE | 405 with `Allow` |
//! | `bulkfiles/{job}/{file}` | GET | 405 with `Allow` |
//! | `{type}` | GET (search), POST (create) | 405 OperationOutcome |
//! | `{type}/_search` | POST | 405 OperationOutcome |
//! | `{type}/{id}` | GET | 405 OperationOutcome |
//! | `{type}/{id}/_history/{vid}` | GET | 405 OperationOutcome |
//!
//! Anything else is a 404, as actix-web answers a path no route matches. The parameters are
//! put into the request's match info under their names, so the handlers' `web::Path`
//! extractors decode them exactly as before, and the pattern goes to the request log.

use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method};
use actix_web::{FromRequest, Handler, HttpMessage, HttpRequest, HttpResponse, Responder};

use super::observe::MatchedRoute;
use super::{bulk, fhir};

/// One route of the table: its pattern (for the log) and its parameters' names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Route {
    GroupExport,
    BulkStatus,
    BulkFiles,
    Type,
    TypeSearch,
    Instance,
    Version,
}

impl Route {
    /// The route a path below the base (`/Type/id…`, as actix-web left it unprocessed)
    /// names, and the values of its parameters.
    fn recognize(rest: &str) -> Option<(Self, Vec<&str>)> {
        let rest = rest.strip_prefix('/')?;
        let segments: Vec<&str> = rest.split('/').collect();
        if segments.iter().any(|s| s.is_empty()) {
            return None;
        }
        let route = match segments.as_slice() {
            ["Group", _, "$export"] => Self::GroupExport,
            ["bulkstatus", _] => Self::BulkStatus,
            ["bulkfiles", _, _] => Self::BulkFiles,
            [_] => Self::Type,
            [_, "_search"] => Self::TypeSearch,
            [_, _] => Self::Instance,
            [_, _, "_history", _] => Self::Version,
            _ => return None,
        };
        let values = match route {
            Self::GroupExport => vec![segments[1]],
            Self::BulkStatus => vec![segments[1]],
            Self::BulkFiles => vec![segments[1], segments[2]],
            Self::Type | Self::TypeSearch => vec![segments[0]],
            Self::Instance => vec![segments[0], segments[1]],
            Self::Version => vec![segments[0], segments[1], segments[3]],
        };
        Some((route, values))
    }

    fn pattern(self) -> &'static str {
        match self {
            Self::GroupExport => "/v2/fhir/Group/{id}/$export",
            Self::BulkStatus => "/v2/fhir/bulkstatus/{job}",
            Self::BulkFiles => "/v2/fhir/bulkfiles/{job}/{file}",
            Self::Type => "/v2/fhir/{type}",
            Self::TypeSearch => "/v2/fhir/{type}/_search",
            Self::Instance => "/v2/fhir/{type}/{id}",
            Self::Version => "/v2/fhir/{type}/{id}/_history/{vid}",
        }
    }

    fn names(self) -> &'static [&'static str] {
        match self {
            Self::GroupExport => &["id"],
            Self::BulkStatus => &["job"],
            Self::BulkFiles => &["job", "file"],
            Self::Type | Self::TypeSearch => &["type"],
            Self::Instance => &["type", "id"],
            Self::Version => &["type", "id", "vid"],
        }
    }
}

/// The `/v2/fhir` scope's default service: every request no fixed path took.
pub async fn dispatch(mut req: ServiceRequest) -> Result<ServiceResponse, actix_web::Error> {
    let Some((route, values)) = Route::recognize(req.match_info().unprocessed()) else {
        return Ok(req.into_response(HttpResponse::NotFound()));
    };
    let values: Vec<String> = values.into_iter().map(str::to_string).collect();
    for (name, value) in route.names().iter().zip(values) {
        req.match_info_mut().add_static(*name, value);
    }
    req.extensions_mut().insert(MatchedRoute(route.pattern()));
    let method = req.method().clone();
    let (req, payload) = req.into_parts();
    let response = match (route, method) {
        (Route::GroupExport, Method::GET | Method::POST) => {
            call(bulk::kick_off_group, &req, payload).await
        }
        (Route::GroupExport, _) => allow(&[Method::GET, Method::POST]),
        (Route::BulkStatus, Method::GET) => call(bulk::status, &req, payload).await,
        (Route::BulkStatus, Method::DELETE) => call(bulk::cancel, &req, payload).await,
        (Route::BulkStatus, _) => allow(&[Method::GET, Method::DELETE]),
        (Route::BulkFiles, Method::GET) => call(bulk::download, &req, payload).await,
        (Route::BulkFiles, _) => allow(&[Method::GET]),
        (Route::Type, Method::GET) => call(fhir::search_type, &req, payload).await,
        // POST creates a Provenance (the one writable type); for every other type it is a
        // 405 naming GET and HEAD, as the other methods are.
        (Route::Type, Method::POST) => call(fhir::create, &req, payload).await,
        (Route::TypeSearch, Method::POST) => call(fhir::post_search_type, &req, payload).await,
        (Route::TypeSearch, _) => refuse(&req, "POST"),
        (Route::Instance, Method::GET) => call(fhir::read_resource, &req, payload).await,
        (Route::Version, Method::GET) => call(fhir::vread_resource, &req, payload).await,
        (Route::Type | Route::Instance | Route::Version, _) => refuse(&req, fhir::READ),
    };
    Ok(ServiceResponse::new(req, response))
}

/// What actix-web does for a route: extract the handler's arguments, call it, answer.
async fn call<F, Args>(handler: F, req: &HttpRequest, mut payload: Payload) -> HttpResponse
where
    F: Handler<Args>,
    Args: FromRequest,
    F::Output: Responder,
{
    match Args::from_request(req, &mut payload).await {
        Ok(args) => handler
            .call(args)
            .await
            .respond_to(req)
            .map_into_boxed_body(),
        Err(e) => HttpResponse::from_error(e),
    }
}

/// A FHIR URL's 405: an OperationOutcome naming the methods it answers.
fn refuse(req: &HttpRequest, allow: &'static str) -> HttpResponse {
    HttpResponse::from_error(fhir::method_not_allowed(req, allow))
}

/// A Bulk Data URL's 405, as actix-web answers a resource's unknown method.
fn allow(methods: &[Method]) -> HttpResponse {
    HttpResponse::MethodNotAllowed()
        .insert_header(header::Allow(methods.to_vec()))
        .finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    type Case = (&'static str, Option<(Route, Vec<&'static str>)>);

    #[test]
    fn each_path_names_the_route_it_was_mounted_as() {
        let cases: [Case; 14] = [
            (
                "/ExplanationOfBenefit",
                Some((Route::Type, vec!["ExplanationOfBenefit"])),
            ),
            (
                "/Patient/_search",
                Some((Route::TypeSearch, vec!["Patient"])),
            ),
            (
                "/Patient/M00001",
                Some((Route::Instance, vec!["Patient", "M00001"])),
            ),
            (
                "/Patient/M1/_history/2",
                Some((Route::Version, vec!["Patient", "M1", "2"])),
            ),
            ("/Group/g1/$export", Some((Route::GroupExport, vec!["g1"]))),
            ("/bulkstatus/j1", Some((Route::BulkStatus, vec!["j1"]))),
            // Bulk Data first, as it was mounted: not a read of a `bulkstatus` resource.
            (
                "/bulkstatus/_search",
                Some((Route::BulkStatus, vec!["_search"])),
            ),
            (
                "/bulkfiles/j1/f.ndjson",
                Some((Route::BulkFiles, vec!["j1", "f.ndjson"])),
            ),
            // Three segments that are no Bulk Data URL, and five: no route.
            ("/Patient/M1/_history", None),
            ("/Patient/M1/x", None),
            ("/Patient/M1/_history/2/x", None),
            ("", None),
            ("/", None),
            ("/Patient//x", None),
        ];
        for (path, expected) in cases {
            assert_eq!(Route::recognize(path), expected, "{path}");
        }
    }

    #[test]
    fn every_route_names_as_many_parameters_as_its_pattern() {
        for route in [
            Route::GroupExport,
            Route::BulkStatus,
            Route::BulkFiles,
            Route::Type,
            Route::TypeSearch,
            Route::Instance,
            Route::Version,
        ] {
            let braces = route.pattern().matches('{').count();
            assert_eq!(braces, route.names().len(), "{route:?}");
            for name in route.names() {
                assert!(
                    route.pattern().contains(&format!("{{{name}}}")),
                    "{route:?}"
                );
            }
        }
    }
}
