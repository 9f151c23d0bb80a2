//! The handlers, one file per page or API area. They are thin: read the request, call the
//! library through `web::common`, fill a page struct that a template renders (or a JSON view).

pub mod api;
pub mod audit;
pub mod exports;
pub mod incident;
pub mod insight;
pub mod insights;
pub mod login;
pub mod ops;
pub mod repairs;
pub mod search;
pub mod warnings;
