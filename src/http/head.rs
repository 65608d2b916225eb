//! `HEAD` on every `GET` route (RFC 9110 §9.3.2), without a second route for each.
//!
//! actix-web's `web::get()` guard does not match `HEAD`. This middleware hands a `HEAD`
//! request to routing as a `GET`; actix-http still knows the request was a `HEAD` and sends
//! the `GET` response's status and headers (`Content-Length` included) without the body.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;

pub async fn as_get<B: MessageBody>(
    mut req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<B>, actix_web::Error> {
    if req.method() == Method::HEAD {
        req.head_mut().method = Method::GET;
    }
    next.call(req).await
}
