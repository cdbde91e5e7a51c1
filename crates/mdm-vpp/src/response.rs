//! Reading the service's answers: size cap, an error body in any status, typed decode.

use std::time::Duration;

use serde::de::DeserializeOwned;

use crate::error::{ApiError, Error, ErrorResponse};
use crate::types::{
    ClientConfigResponse, EventResponse, GetAssetsResponse, GetAssignmentsResponse,
    GetUsersResponse, MdmInfo, ServiceConfig, StatusResponse,
};

/// Largest response body read, in bytes (8 MiB). A page of several hundred items is a few
/// hundred KiB; anything larger is refused with [`Error::BodyTooLarge`].
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

/// Longest `Retry-After` honoured (one hour); larger values are clamped.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// A type the service answers with: decoded from a response, with the `mdmInfo` it
/// carries (for the ownership check).
pub trait ApiResponse: DeserializeOwned + Sized {
    /// What the type is called in error messages.
    const WHAT: &'static str;

    /// The `mdmInfo` the answer carries, if any.
    fn mdm_info(&self) -> Option<&MdmInfo> {
        None
    }

    /// Decodes a whole response (status, headers, body). An error body is an error
    /// whatever the status; a non-2xx status without one is [`Error::Http`].
    ///
    /// # Errors
    /// [`Error::BodyTooLarge`], [`Error::Api`], [`Error::Http`] or [`Error::Malformed`].
    fn response(response: http::Response<&[u8]>) -> Result<Self, Error> {
        let retry_after = retry_after(response.headers());
        decode_body(response.status().as_u16(), retry_after, response.body())
    }
}

/// Decodes a body the service sent with `status` (and `Retry-After`, if any).
///
/// The body is first checked for an error object (`errorNumber`), even on 200: Apple
/// answers some failures with a success status.
///
/// # Errors
/// [`Error::BodyTooLarge`], [`Error::Api`], [`Error::Http`] or [`Error::Malformed`].
pub fn decode_body<T: ApiResponse>(
    status: u16,
    retry_after: Option<Duration>,
    body: &[u8],
) -> Result<T, Error> {
    if body.len() > MAX_BODY_BYTES {
        return Err(Error::BodyTooLarge {
            limit: MAX_BODY_BYTES,
        });
    }
    let value: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    if let Some(v @ serde_json::Value::Object(map)) = &value
        && map.contains_key("errorNumber")
    {
        let response = <ErrorResponse as serde::Deserialize>::deserialize(v)
            .map_err(|e| Error::malformed("error body", e))?;
        return Err(Error::Api(Box::new(ApiError {
            status,
            response,
            retry_after,
        })));
    }
    if !(200..300).contains(&status) {
        return Err(Error::Http {
            status,
            retry_after,
        });
    }
    let value = value.ok_or_else(|| {
        let detail = serde_json::from_slice::<serde_json::Value>(body)
            .err()
            .map_or_else(|| "not json".to_owned(), |e| e.to_string());
        Error::malformed(T::WHAT, detail)
    })?;
    serde_json::from_value(value).map_err(|e| Error::malformed(T::WHAT, e))
}

/// Reads `Retry-After` as whole seconds (clamped to [`MAX_RETRY_AFTER`]); the HTTP-date
/// form and anything unreadable count as absent.
pub fn retry_after(headers: &http::HeaderMap) -> Option<Duration> {
    let v = headers.get(http::header::RETRY_AFTER)?.to_str().ok()?;
    let secs: u64 = v.trim().parse().ok()?;
    Some(Duration::from_secs(secs).min(MAX_RETRY_AFTER))
}

macro_rules! api_response {
    ($ty:ty, $what:literal, mdm) => {
        impl ApiResponse for $ty {
            const WHAT: &'static str = $what;
            fn mdm_info(&self) -> Option<&MdmInfo> {
                self.mdm_info.as_ref()
            }
        }
        api_response!(@wire $ty);
    };
    ($ty:ty, $what:literal) => {
        impl ApiResponse for $ty {
            const WHAT: &'static str = $what;
        }
        api_response!(@wire $ty);
    };
    (@wire $ty:ty) => {
        impl $ty {
            /// Decodes the JSON body of a 200 answer (an error body is an error).
            ///
            /// # Errors
            /// [`Error::Api`] for an error body, [`Error::Malformed`] or
            /// [`Error::BodyTooLarge`].
            pub fn decode(bytes: &[u8]) -> Result<Self, Error> {
                decode_body(200, None, bytes)
            }

            /// Encodes the JSON body.
            ///
            /// # Errors
            /// Never in practice (every field is JSON-representable).
            pub fn encode(&self) -> Result<Vec<u8>, Error> {
                serde_json::to_vec(self).map_err(|e| Error::malformed("encoding", e))
            }
        }
    };
}

api_response!(ServiceConfig, "service configuration");
api_response!(ClientConfigResponse, "client configuration", mdm);
api_response!(GetAssetsResponse, "assets page");
api_response!(GetAssignmentsResponse, "assignments page");
api_response!(GetUsersResponse, "users page");
api_response!(EventResponse, "event response", mdm);
api_response!(StatusResponse, "event status", mdm);

impl ErrorResponse {
    /// Decodes an error body.
    ///
    /// # Errors
    /// [`Error::Malformed`] or [`Error::BodyTooLarge`].
    pub fn decode(bytes: &[u8]) -> Result<Self, Error> {
        if bytes.len() > MAX_BODY_BYTES {
            return Err(Error::BodyTooLarge {
                limit: MAX_BODY_BYTES,
            });
        }
        serde_json::from_slice(bytes).map_err(|e| Error::malformed("error body", e))
    }

    /// Encodes the error body.
    ///
    /// # Errors
    /// Never in practice.
    pub fn encode(&self) -> Result<Vec<u8>, Error> {
        serde_json::to_vec(self).map_err(|e| Error::malformed("encoding", e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorNumber;

    fn resp(status: u16, body: &[u8]) -> http::Response<&[u8]> {
        http::Response::builder()
            .status(status)
            .header("retry-after", "7")
            .body(body)
            .unwrap()
    }

    #[test]
    fn error_body_in_a_200_is_an_error() {
        let e = StatusResponse::response(resp(
            200,
            br#"{"errorNumber":9621,"errorMessage":"expired"}"#,
        ))
        .unwrap_err();
        assert!(e.is_token_expired());
        assert_eq!(e.http_status(), Some(200));
        assert_eq!(e.retry_after(), Some(Duration::from_secs(7)));
    }

    #[test]
    fn statuses_and_garbage() {
        let e = StatusResponse::response(resp(503, b"<html>")).unwrap_err();
        assert!(e.is_retryable());
        assert_eq!(e.retry_after(), Some(Duration::from_secs(7)));
        let e = StatusResponse::response(resp(200, b"<html>")).unwrap_err();
        assert!(matches!(e, Error::Malformed { .. }), "{e:?}");
        let e = StatusResponse::response(resp(200, b"{}")).unwrap_err();
        assert!(e.to_string().contains("eventStatus"), "{e}");
        let big = vec![b' '; MAX_BODY_BYTES + 1];
        assert!(matches!(
            StatusResponse::response(resp(200, &big)),
            Err(Error::BodyTooLarge { .. })
        ));
        let e = EventResponse::response(resp(429, br#"{"errorNumber":"9646"}"#)).unwrap_err();
        assert_eq!(e.error_number(), Some(ErrorNumber::TooManyRequests));
    }
}
