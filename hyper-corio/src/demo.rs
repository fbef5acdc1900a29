//! The demo service of `examples/hello.rs`, shared with the tests and with `corio-bench`'s
//! hyper-on-tokio server, so both runtimes serve the very same code.

use bytes::Bytes;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};

/// The body of `GET /`.
pub const HELLO: &str = "Hello from hyper on corio";

/// The largest request body `POST` echoes; a larger one gets 413 (it is held in memory).
pub const MAX_ECHO: usize = 8 * 1024 * 1024;

/// Errors the service passes to hyper (which then closes the connection).
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// `GET /` (and `HEAD /`): [`HELLO`] as `text/plain`. `POST` to any path: the request
/// body back, as `application/octet-stream`, up to [`MAX_ECHO`] bytes (413 beyond).
/// Anything else: 404 or 405, as plain text. A request body that fails mid-way (the
/// client went away) is an error: hyper closes the connection.
pub async fn hello(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, BoxError> {
    let response = match (req.method(), req.uri().path()) {
        (&Method::GET | &Method::HEAD, "/") => text(StatusCode::OK, HELLO),
        (&Method::POST, _) => match Limited::new(req.into_body(), MAX_ECHO).collect().await {
            Ok(collected) => {
                let mut response = Response::new(Full::new(collected.to_bytes()));
                response.headers_mut().insert(
                    CONTENT_TYPE,
                    HeaderValue::from_static("application/octet-stream"),
                );
                response
            }
            Err(e) if e.is::<LengthLimitError>() => {
                text(StatusCode::PAYLOAD_TOO_LARGE, "request body too large\n")
            }
            Err(e) => return Err(e),
        },
        (_, "/") => text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n"),
        _ => text(StatusCode::NOT_FOUND, "not found\n"),
    };
    Ok(response)
}

/// A plain-text response.
fn text(status: StatusCode, body: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}
