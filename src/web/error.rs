//! One error type for the web app, with typed variants (not found of what, a bad parameter with
//! its rule, a conflict, too large), mapped here to a status code and a friendly page (or JSON
//! for the API). Internal details are logged, never shown.

use actix_web::http::StatusCode;
use actix_web::http::header::ContentType;
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

use crate::index::IndexError;
use crate::index::request::RequestError;
use crate::tracking::StoreError;

/// What a request asked for that is not there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Missing {
    Incident(String),
    Revision {
        incident: String,
        revision: usize,
    },
    RepairItem(String),
    Asset(String),
    /// A path no route serves.
    Page(String),
}

impl std::fmt::Display for Missing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Missing::Incident(id) => write!(
                f,
                "There is no incident `{id}`. It may have been renamed; try searching for it."
            ),
            Missing::Revision { incident, revision } => {
                write!(f, "Incident {incident} has no revision {revision}.")
            }
            Missing::RepairItem(id) => write!(f, "There is no repair item `{id}`."),
            Missing::Asset(file) => write!(f, "There is no asset `{file}`."),
            Missing::Page(path) => write!(
                f,
                "There is no page at {path}. Search for what you need instead."
            ),
        }
    }
}

/// Every way a request can fail, each mapped in this file (and only here) to a status, a page
/// and a JSON body.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("{0}")]
    NotFound(Missing),
    /// A URL parameter that breaks its rule.
    #[error("{0}")]
    BadParameter(#[from] RequestError),
    /// A form, JSON body or path segment that cannot be used, with what is wrong.
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error(
        "repair item `{id}` changed meanwhile (now version {current}); reload it and apply your change again"
    )]
    Conflict { id: String, current: u64 },
    #[error("{0}")]
    TooManyRequests(String),
    #[error("the {what} is over the {limit}-byte limit")]
    TooLarge { what: &'static str, limit: usize },
    #[error("{0}")]
    Unavailable(String),
    #[error("something went wrong on our side; it has been logged")]
    Internal(String),
}

impl WebError {
    pub fn internal(e: impl std::fmt::Display) -> WebError {
        WebError::Internal(e.to_string())
    }
}

/// What a person is told when the tracking store refuses or fails.
impl From<StoreError> for WebError {
    fn from(e: StoreError) -> WebError {
        match e {
            StoreError::NotFound(id) => WebError::NotFound(Missing::RepairItem(id)),
            StoreError::Conflict { id, current } => WebError::Conflict { id, current },
            e @ (StoreError::Unavailable { .. }
            | StoreError::Unreachable { .. }
            | StoreError::Uncertain { .. }) => WebError::Unavailable(e.to_string()),
            e => WebError::internal(e),
        }
    }
}

impl From<IndexError> for WebError {
    fn from(e: IndexError) -> WebError {
        match e {
            IndexError::NotFound(id) => WebError::NotFound(Missing::Incident(id)),
            e => WebError::internal(e),
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub status: u16,
    pub title: &'static str,
    pub message: String,
    pub layout: super::Layout,
}

impl ResponseError for WebError {
    fn status_code(&self) -> StatusCode {
        match self {
            WebError::NotFound(_) => StatusCode::NOT_FOUND,
            WebError::BadParameter(_) | WebError::BadRequest(_) => StatusCode::BAD_REQUEST,
            WebError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            WebError::Forbidden(_) => StatusCode::FORBIDDEN,
            WebError::Conflict { .. } => StatusCode::CONFLICT,
            WebError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            WebError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            WebError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            WebError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let WebError::Internal(detail) = self {
            tracing::error!(%detail, "internal error");
        }
        let status = self.status_code();
        let page = ErrorPage {
            status: status.as_u16(),
            title: status.canonical_reason().unwrap_or("Error"),
            message: self.to_string(),
            layout: super::Layout::default(),
        };
        let body = page.render().unwrap_or_else(|_| self.to_string());
        HttpResponse::build(status)
            .content_type(ContentType::html())
            .body(body)
    }
}

/// The same errors as JSON, for `/api/v1`.
#[derive(Debug)]
pub struct ApiError(pub WebError);

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl From<WebError> for ApiError {
    fn from(e: WebError) -> ApiError {
        ApiError(e)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.0.status_code()
    }

    fn error_response(&self) -> HttpResponse {
        if let WebError::Internal(detail) = &self.0 {
            tracing::error!(%detail, "internal error");
        }
        HttpResponse::build(self.status_code())
            .json(serde_json::json!({ "error": self.0.to_string(), "status": self.status_code().as_u16() }))
    }
}
