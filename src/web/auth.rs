//! Who may write: users and API tokens configured at start-up (hashed, never a default
//! password), login sessions in HttpOnly SameSite=Strict cookies, CSRF tokens for forms, and a
//! limit on failed logins. Reads stay open unless the configuration says otherwise.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::RngCore;
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "ikb_session";
/// Name of the cookie that carries the login form's CSRF token before there is a session.
pub const LOGIN_CSRF_COOKIE: &str = "ikb_login_csrf";
/// Failed logins allowed per user and address within `LOCKOUT_WINDOW`.
pub const MAX_FAILED_LOGINS: usize = 5;
pub const LOCKOUT_WINDOW: Duration = Duration::from_secs(15 * 60);
/// How long a session lasts without use.
pub const SESSION_IDLE: Duration = Duration::from_secs(12 * 60 * 60);

#[derive(Debug, Deserialize, Default)]
pub struct UsersFile {
    #[serde(default)]
    pub user: Vec<UserEntry>,
    #[serde(default)]
    pub token: Vec<TokenEntry>,
    /// Require a login to read too.
    #[serde(default)]
    pub private: bool,
}

#[derive(Debug, Deserialize)]
pub struct UserEntry {
    pub name: String,
    /// An Argon2 PHC string, as `ikb hash-password` prints it.
    pub password_hash: String,
}

#[derive(Debug, Deserialize)]
pub struct TokenEntry {
    pub name: String,
    /// SHA-256 of the token, in hex, as `ikb hash-token` prints it.
    pub token_sha256: String,
}

#[derive(Debug, thiserror::Error)]
pub enum AuthConfigError {
    #[error("users file {path}: {message}")]
    Invalid { path: String, message: String },
}

/// Random bytes as hex: session ids and CSRF tokens.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex(&bytes)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn sha256_hex(s: &str) -> String {
    hex(&Sha256::digest(s.as_bytes()))
}

/// Hash a password for the users file.
pub fn hash_password(password: &str) -> String {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).expect("16 bytes make a salt");
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashes")
        .to_string()
}

/// Compare secrets without leaking where they differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[derive(Debug, Clone)]
pub struct Session {
    pub user: String,
    pub csrf: String,
    last_seen: Instant,
}

/// Users, tokens, sessions and the failed-login record.
pub struct Auth {
    users: HashMap<String, String>,
    tokens: Vec<(String, String)>,
    pub private: bool,
    sessions: Mutex<HashMap<String, Session>>,
    failures: Mutex<HashMap<LoginKey, Vec<Instant>>>,
}

/// Failed logins are counted per user name and client address.
type LoginKey = (String, Option<IpAddr>);

/// Why a login failed.
#[derive(Debug, PartialEq, Eq)]
pub enum LoginError {
    Invalid,
    TooManyAttempts,
}

impl Auth {
    pub fn new(file: UsersFile) -> Auth {
        Auth {
            users: file
                .user
                .into_iter()
                .map(|u| (u.name, u.password_hash))
                .collect(),
            tokens: file
                .token
                .into_iter()
                .map(|t| (t.name, t.token_sha256.to_ascii_lowercase()))
                .collect(),
            private: file.private,
            sessions: Mutex::new(HashMap::new()),
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// Read a users file; every password hash must be a valid Argon2 string.
    pub fn load(path: &Path) -> Result<Auth, AuthConfigError> {
        let invalid = |message: String| AuthConfigError::Invalid {
            path: path.display().to_string(),
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|e| invalid(e.to_string()))?;
        let file: UsersFile =
            toml::from_str(&text).map_err(|e| invalid(e.message().to_string()))?;
        for u in &file.user {
            PasswordHash::new(&u.password_hash)
                .map_err(|e| invalid(format!("user `{}`: password_hash is not an Argon2 hash ({e}); make one with `ikb hash-password`", u.name)))?;
        }
        for t in &file.token {
            if t.token_sha256.len() != 64 || !t.token_sha256.chars().all(|c| c.is_ascii_hexdigit())
            {
                return Err(invalid(format!(
                    "token `{}`: token_sha256 must be 64 hex digits; make it with `ikb hash-token`",
                    t.name
                )));
            }
        }
        Ok(Auth::new(file))
    }

    /// Whether anyone can write at all.
    pub fn has_writers(&self) -> bool {
        !self.users.is_empty() || !self.tokens.is_empty()
    }

    fn recent_failures(&self, key: &LoginKey) -> usize {
        let mut failures = self.failures.lock().expect("failures lock");
        let list = failures.entry(key.clone()).or_default();
        list.retain(|t| t.elapsed() < LOCKOUT_WINDOW);
        list.len()
    }

    /// Check a password; on success a new session id.
    pub fn login(
        &self,
        user: &str,
        password: &str,
        ip: Option<IpAddr>,
    ) -> Result<String, LoginError> {
        let key = (user.to_string(), ip);
        if self.recent_failures(&key) >= MAX_FAILED_LOGINS {
            return Err(LoginError::TooManyAttempts);
        }
        let ok = self.users.get(user).is_some_and(|hash| {
            PasswordHash::new(hash).is_ok_and(|h| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &h)
                    .is_ok()
            })
        });
        if !ok {
            self.failures
                .lock()
                .expect("failures lock")
                .entry(key)
                .or_default()
                .push(Instant::now());
            return Err(LoginError::Invalid);
        }
        let id = random_token();
        let session = Session {
            user: user.to_string(),
            csrf: random_token(),
            last_seen: Instant::now(),
        };
        self.sessions
            .lock()
            .expect("sessions lock")
            .insert(sha256_hex(&id), session);
        Ok(id)
    }

    /// The session behind a cookie value, if it is live.
    pub fn session(&self, cookie: &str) -> Option<Session> {
        let mut sessions = self.sessions.lock().expect("sessions lock");
        sessions.retain(|_, s| s.last_seen.elapsed() < SESSION_IDLE);
        let s = sessions.get_mut(&sha256_hex(cookie))?;
        s.last_seen = Instant::now();
        Some(s.clone())
    }

    pub fn logout(&self, cookie: &str) {
        self.sessions
            .lock()
            .expect("sessions lock")
            .remove(&sha256_hex(cookie));
    }

    /// The name of the API token presented as `Authorization: Bearer TOKEN`.
    pub fn token_user(&self, token: &str) -> Option<String> {
        let digest = sha256_hex(token.trim());
        self.tokens
            .iter()
            .find(|(_, h)| constant_time_eq(h, &digest))
            .map(|(n, _)| format!("token:{n}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth() -> Auth {
        Auth::new(UsersFile {
            user: vec![UserEntry {
                name: "alice".into(),
                password_hash: hash_password("correct horse"),
            }],
            token: vec![TokenEntry {
                name: "bot".into(),
                token_sha256: sha256_hex("s3cret-token"),
            }],
            private: false,
        })
    }

    #[test]
    fn logins_sessions_and_tokens() {
        let a = auth();
        assert_eq!(a.login("alice", "wrong", None), Err(LoginError::Invalid));
        assert_eq!(
            a.login("mallory", "correct horse", None),
            Err(LoginError::Invalid)
        );
        let id = a.login("alice", "correct horse", None).unwrap();
        assert_eq!(a.session(&id).unwrap().user, "alice");
        a.logout(&id);
        assert!(a.session(&id).is_none());
        assert_eq!(a.token_user("s3cret-token").as_deref(), Some("token:bot"));
        assert!(a.token_user("guess").is_none());
    }

    #[test]
    fn too_many_failures_lock_the_user_out_even_with_the_right_password() {
        let a = auth();
        for _ in 0..MAX_FAILED_LOGINS {
            assert_eq!(a.login("alice", "nope", None), Err(LoginError::Invalid));
        }
        assert_eq!(
            a.login("alice", "correct horse", None),
            Err(LoginError::TooManyAttempts)
        );
        let other_ip: IpAddr = "127.0.0.2".parse().unwrap();
        assert!(a.login("alice", "correct horse", Some(other_ip)).is_ok());
    }
}
