//! Pull sessions (`PULL_SESSIONS = true`, archeio #329; docs/operating.md,
//! "Pull sessions"): the registry token flow used for correlation, not for
//! access. An anonymous ping or manifest request is challenged (`401`,
//! `WWW-Authenticate: Bearer realm=".../token"`), the client fetches a
//! random token from `/token`, and presents it as `Authorization: Bearer
//! <token>` on every request of the pull, which tags them all with one
//! session in the request record ([`crate::request::Credentials`] reads it).
//!
//! The token grants nothing: every request is answered the same with or
//! without it, and a bearer of any other shape is ignored.

use crate::request::host::is_authority;
use crate::request::route::TOKEN_PATH;
use crate::request::Session;

/// Seconds a client may reuse a token (`expires_in`).
pub const TOKEN_LIFETIME_SECONDS: u32 = 3600;

/// The `/token` answer's body: the distribution token format, with
/// `access_token` for OAuth-style clients.
pub fn token_body(session: &Session) -> String {
    serde_json::json!({
        "token": session.as_str(),
        "access_token": session.as_str(),
        "expires_in": TOKEN_LIFETIME_SECONDS,
    })
    .to_string()
}

/// The `WWW-Authenticate` value sending a client to this host's token
/// endpoint, or `None` when `host` is not a plain `host[:port]` (the value
/// must be a safe header and a well-formed challenge). `scheme` is the
/// request's (`https` in production; `http` for local plain-HTTP rigs).
pub fn challenge(scheme: &str, host: &str) -> Option<String> {
    let scheme = match scheme {
        "https" | "http" => scheme,
        _ => return None,
    };
    is_authority(host)
        .then(|| format!(r#"Bearer realm="{scheme}://{host}{TOKEN_PATH}",service="{host}""#))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_bodies() {
        let s = Session::from_random([0xff, 0, 0x10, 0xab, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
        let body: serde_json::Value = serde_json::from_str(&token_body(&s)).unwrap();
        assert_eq!(body["token"], s.as_str());
        assert_eq!(body["access_token"], s.as_str());
        assert_eq!(body["expires_in"], 3600);
    }

    #[test]
    fn challenges_name_this_host() {
        assert_eq!(
            challenge("https", "registry.k8s.io").as_deref(),
            Some(r#"Bearer realm="https://registry.k8s.io/token",service="registry.k8s.io""#)
        );
        assert_eq!(
            challenge("http", "127.0.0.1:8787").as_deref(),
            Some(r#"Bearer realm="http://127.0.0.1:8787/token",service="127.0.0.1:8787""#)
        );
        assert_eq!(challenge("https", "a\"b"), None);
        assert_eq!(challenge("https", "a b"), None);
        assert_eq!(challenge("https", ""), None);
        assert_eq!(challenge("ftp", "registry.k8s.io"), None);
    }
}
