//! Logging in and out: a form protected by a double-submit CSRF cookie, a session cookie that
//! is HttpOnly and SameSite=Strict, and a limit on failed attempts.

use actix_web::cookie::{Cookie, SameSite, time::Duration};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::web::auth::{LOGIN_CSRF_COOKIE, LoginError, SESSION_COOKIE, constant_time_eq};
use crate::web::common::viewer;
use crate::web::error::WebError;
use crate::web::params::Params;
use crate::web::{AppState, Layout};

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub layout: Layout,
    pub csrf: String,
    pub next: String,
    pub user: String,
    pub error: Option<String>,
    pub writes_enabled: bool,
}

/// Only a path on this site (no open redirects): it starts with one `/`, and has no second
/// `/` or `\` right after it, no backslash, no white space and no control character anywhere
/// (browsers drop a tab or a newline, so `/\t/evil.com` would go to `//evil.com`). Anything else
/// goes to `/`. Checked before a session is made, so a bad `next` never costs one.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n[1..].starts_with(['/', '\\'])
                && !n.contains('\\')
                && !n.chars().any(|c| c.is_control() || c.is_whitespace())
                && n.len() <= 2000 =>
        {
            n.to_string()
        }
        _ => "/".to_string(),
    }
}

fn cookie<'a>(state: &AppState, name: &'a str, value: String) -> Cookie<'a> {
    Cookie::build(name, value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(state.secure_cookies)
        .finish()
}

fn render(
    state: &AppState,
    next: String,
    user: String,
    error: Option<String>,
    status: actix_web::http::StatusCode,
) -> Result<HttpResponse, WebError> {
    let csrf = state.auth.login_csrf_token();
    let page = LoginPage {
        layout: Layout {
            asset_version: crate::web::assets::asset_version(),
            ..Layout::default()
        },
        csrf: csrf.clone(),
        next,
        user,
        error,
        writes_enabled: state.auth.has_writers(),
    };
    let body = page.render().map_err(WebError::internal)?;
    Ok(HttpResponse::build(status)
        .cookie(cookie(state, LOGIN_CSRF_COOKIE, csrf))
        .insert_header(("Cache-Control", "no-store"))
        .content_type("text/html; charset=utf-8")
        .body(body))
}

pub async fn page(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, WebError> {
    let next = safe_next(Params::parse(req.query_string()).get("next"));
    if viewer(&req, &state).is_some() {
        return Ok(HttpResponse::SeeOther()
            .insert_header(("Location", next))
            .finish());
    }
    render(
        &state,
        next,
        String::new(),
        None,
        actix_web::http::StatusCode::OK,
    )
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    pub user: String,
    pub password: String,
    pub csrf: String,
    pub next: Option<String>,
}

pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, WebError> {
    let next = safe_next(form.next.as_deref());
    crate::web::common::same_origin(&req)?;
    let expected = req
        .cookie(LOGIN_CSRF_COOKIE)
        .map(|c| c.value().to_string())
        .unwrap_or_default();
    if !state.auth.check_login_csrf(&expected, &form.csrf) {
        return Err(WebError::Forbidden("The login form has expired or did not come from this site. Reload the login page and try again.".into()));
    }
    let ip = req.peer_addr().map(|a| a.ip());
    let user = form.user.trim().to_string();
    let st = state.clone();
    let password = form.password.clone();
    let attempt_user = user.clone();
    let result =
        crate::web::common::blocking(move || Ok(st.auth.login(&attempt_user, &password, ip)))
            .await?;
    match result {
        Ok(session) => {
            tracing::info!(%user, "logged in");
            Ok(HttpResponse::SeeOther()
                .cookie(cookie(&state, SESSION_COOKIE, session))
                .cookie({
                    let mut c = cookie(&state, LOGIN_CSRF_COOKIE, String::new());
                    c.set_max_age(Duration::ZERO);
                    c
                })
                .insert_header(("Location", next))
                .finish())
        }
        Err(LoginError::Invalid) => {
            tracing::warn!(%user, "failed login");
            let msg = "Wrong user name or password.".to_string();
            render(
                &state,
                next,
                user,
                Some(msg),
                actix_web::http::StatusCode::UNAUTHORIZED,
            )
        }
        Err(LoginError::Busy) => {
            tracing::warn!(%user, "login refused: too many password checks waiting");
            render(
                &state,
                next,
                user,
                Some(
                    "Too many logins are being checked at once; try again in a few seconds.".into(),
                ),
                actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
            )
        }
        Err(LoginError::TooManyAttempts) => {
            tracing::warn!(%user, "login refused: too many failed attempts");
            let msg = "Too many failed attempts: wait 15 minutes before trying again.".to_string();
            render(
                &state,
                next,
                user,
                Some(msg),
                actix_web::http::StatusCode::TOO_MANY_REQUESTS,
            )
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct LogoutForm {
    pub csrf: String,
}

pub async fn logout(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<LogoutForm>,
) -> Result<HttpResponse, WebError> {
    crate::web::common::same_origin(&req)?;
    if let Some(c) = req.cookie(SESSION_COOKIE) {
        let session = state.auth.session(c.value());
        if session
            .as_ref()
            .is_some_and(|s| !constant_time_eq(&s.csrf, &form.csrf))
        {
            return Err(WebError::Forbidden(
                "The logout form did not come from this site.".into(),
            ));
        }
        state.auth.logout(c.value());
    }
    let mut gone = cookie(&state, SESSION_COOKIE, String::new());
    gone.set_max_age(Duration::ZERO);
    Ok(HttpResponse::SeeOther()
        .cookie(gone)
        .insert_header(("Location", "/"))
        .finish())
}
