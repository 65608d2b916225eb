//! A deadline on the request body, for every route at once.
//!
//! actix-web bounds the wait for the request head (`client_request_timeout`) but not for the
//! body: a client that announces `Content-Length: 100000` and sends one byte keeps a handler
//! (and a file descriptor) waiting for ever. This middleware wraps the body stream so reading
//! it fails once the deadline passes; the handler's answer is then replaced by a 408 and the
//! connection is closed.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::{BodySize, BoxBody, EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::{header, StatusCode};
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::{HttpMessage, HttpResponse, ResponseError};
use futures_util::Stream;
use tokio::time::Sleep;

use crate::fhir::error::FhirError;

/// Runs the request with its body behind a deadline of `timeout` from now.
pub async fn enforce<B: MessageBody + 'static>(
    timeout: Duration,
    mut req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B, HoldingBody>>, actix_web::Error> {
    let payload = req.take_payload();
    if matches!(payload, Payload::None) {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    let body = Rc::new(RefCell::new(payload));
    let expired = Rc::new(Cell::new(false));
    req.set_payload(Payload::Stream {
        payload: Box::pin(DeadlineBody {
            body: body.clone(),
            deadline: Box::pin(tokio::time::sleep(timeout)),
            expired: expired.clone(),
        }),
    });
    let res = next.call(req).await?;
    let res = if expired.get() {
        let (req, _) = res.into_parts();
        let response = timeout_response(req.path());
        ServiceResponse::new(req, response)
    } else {
        res.map_into_boxed_body()
    };
    // The response body carries the request body until actix has sent it: a request body
    // still incomplete then (and still held) makes actix close the connection. Dropped
    // instead, actix would drain a chunked body for as long as the client trickles it.
    Ok(res
        .map_body(|_, response| HoldingBody {
            response,
            _request: body,
        })
        .map_into_right_body())
}

/// 408 with `Connection: close`: an OperationOutcome on the FHIR API, plain text elsewhere.
fn timeout_response(path: &str) -> HttpResponse {
    let mut response = if path.starts_with("/v2/fhir") {
        FhirError::BodyTimeout.error_response()
    } else {
        HttpResponse::build(StatusCode::REQUEST_TIMEOUT)
            .content_type("text/plain; charset=utf-8")
            .body("the request body did not arrive in time")
    };
    response.headers_mut().insert(
        header::CONNECTION,
        header::HeaderValue::from_static("close"),
    );
    response
}

/// A response body that keeps the request body alive until it is dropped (see `enforce`).
pub struct HoldingBody {
    response: BoxBody,
    _request: Rc<RefCell<Payload>>,
}

impl MessageBody for HoldingBody {
    type Error = <BoxBody as MessageBody>::Error;

    fn size(&self) -> BodySize {
        self.response.size()
    }

    fn poll_next(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        Pin::new(&mut self.response).poll_next(cx)
    }
}

/// The request body, failing with `TimedOut` once `deadline` passes before its end.
struct DeadlineBody {
    body: Rc<RefCell<Payload>>,
    deadline: Pin<Box<Sleep>>,
    expired: Rc<Cell<bool>>,
}

impl Stream for DeadlineBody {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.expired.get() {
            return Poll::Ready(None);
        }
        // The body first: bytes (or its end) that have arrived count, however late.
        if let Poll::Ready(item) = Pin::new(&mut *self.body.borrow_mut()).poll_next(cx) {
            return Poll::Ready(item);
        }
        if self.deadline.as_mut().poll(cx).is_ready() {
            self.expired.set(true);
            return Poll::Ready(Some(Err(PayloadError::Io(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the request body did not arrive in time",
            )))));
        }
        Poll::Pending
    }
}
