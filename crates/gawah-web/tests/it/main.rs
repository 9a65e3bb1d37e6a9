//! Integration tests of the web application, by boundary: the authorisation matrix, the API,
//! the pages, sign-in, the log over HTTP and the OpenAPI document.

mod api;
mod authz;
mod harness;
mod intake;
mod intake_privacy;
mod login;
mod logweb;
mod pages;
mod redact;
mod sealing;
mod search;
mod upload;
mod vocab;
