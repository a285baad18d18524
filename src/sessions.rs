//! Pull sessions (`PULL_SESSIONS = true`, archeio #329): the registry token
//! flow used for correlation, not for access. An anonymous ping or
//! manifest request is challenged (`401`, `WWW-Authenticate: Bearer
//! realm=".../token"`), the client fetches a random token from `/token`,
//! and presents it as `Authorization: Bearer <token>` on every request of
//! the pull, which tags them all with one session in the request record.
//!
//! The token grants nothing: every request is answered the same with or
//! without it, and a bearer of any other shape is ignored.

/// Seconds a client may reuse a token (`expires_in`).
pub const TOKEN_LIFETIME_SECONDS: u32 = 3600;

/// The path of the token endpoint (the challenge's realm).
pub const TOKEN_PATH: &str = "/token";

/// A session identifier: 128 random bits as 32 lower-case hex digits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Session([u8; 32]);

impl Session {
    /// The session of 16 random bytes (the adapter draws them from
    /// `crypto.getRandomValues`).
    pub fn from_random(bytes: [u8; 16]) -> Session {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut text = [0u8; 32];
        for (i, b) in bytes.iter().enumerate() {
            text[2 * i] = HEX[usize::from(b >> 4)];
            text[2 * i + 1] = HEX[usize::from(b & 0x0f)];
        }
        Session(text)
    }

    /// The session an `Authorization` header names: `Bearer <32 lower-case
    /// hex>` (the scheme is case-insensitive, RFC 9110). Anything else is
    /// no session.
    pub fn from_authorization(header: Option<&str>) -> Option<Session> {
        let header = header?.trim();
        let (scheme, token) = header.split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return None;
        }
        let token = token.trim_start().as_bytes();
        let text: [u8; 32] = token.try_into().ok()?;
        text.iter()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
            .then_some(Session(text))
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII hex digits are ever stored.
        core::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The `/token` answer's body: the distribution token format, with
    /// `access_token` for OAuth-style clients.
    pub fn token_body(&self) -> String {
        serde_json::json!({
            "token": self.as_str(),
            "access_token": self.as_str(),
            "expires_in": TOKEN_LIFETIME_SECONDS,
        })
        .to_string()
    }
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
    let host_ok = !host.is_empty()
        && host.len() <= 255
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b));
    host_ok.then(|| format!(r#"Bearer realm="{scheme}://{host}{TOKEN_PATH}",service="{host}""#))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn tokens_are_128_bit_hex() {
        let s = Session::from_random([0xff, 0, 0x10, 0xab, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
        assert_eq!(s.as_str(), "ff0010ab0102030405060708090a0b0c");
        let body: serde_json::Value = serde_json::from_str(&s.token_body()).unwrap();
        assert_eq!(body["token"], s.as_str());
        assert_eq!(body["access_token"], s.as_str());
        assert_eq!(body["expires_in"], 3600);
    }

    #[test]
    fn only_a_bearer_of_the_issued_shape_is_a_session() {
        let bearer = format!("Bearer {TOKEN}");
        assert_eq!(
            Session::from_authorization(Some(&bearer)).map(|s| s.as_str().to_string()),
            Some(TOKEN.to_string())
        );
        assert!(Session::from_authorization(Some(&format!("bearer  {TOKEN}"))).is_some());
        for other in [
            String::new(),
            "Bearer".into(),
            "Bearer ".into(),
            format!("Basic {TOKEN}"),
            format!("Bearer {}", TOKEN.to_uppercase()),
            format!("Bearer {TOKEN}0"),
            format!("Bearer {}", &TOKEN[1..]),
            format!("Bearer {}g", &TOKEN[1..]),
            format!("Bearer {TOKEN} extra"),
            "Bearer eyJhbGciOiJIUzI1NiJ9.e30.ZRrHA1JJJW8opsbCGfG_HACGpVUMN_a9IV7pAx_Zmeo".into(),
            format!("Bearer é{}", &TOKEN[2..]),
        ] {
            assert_eq!(Session::from_authorization(Some(&other)), None, "{other:?}");
        }
        assert_eq!(Session::from_authorization(None), None);
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
