//! What a request's `Authorization` header presents. A pull session's token
//! (docs/operating.md, "Pull sessions") is the only credential this worker
//! knows; it grants nothing and only ties the requests of a pull together.

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

    /// The session a bearer token names: 32 lower-case hex digits.
    fn from_token(token: &str) -> Option<Session> {
        let text: [u8; 32] = token.as_bytes().try_into().ok()?;
        text.iter()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
            .then_some(Session(text))
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII hex digits are ever stored.
        core::str::from_utf8(&self.0).unwrap_or_default()
    }
}

/// What the `Authorization` header holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Credentials {
    /// No `Authorization` header.
    None,
    /// `Bearer <32 lower-case hex>` (the scheme is case-insensitive, RFC
    /// 9110): a pull session.
    Session(Session),
    /// Anything else: not a session, but not anonymous either.
    Other,
}

impl Credentials {
    pub fn read(authorization: Option<&str>) -> Credentials {
        let Some(header) = authorization else {
            return Credentials::None;
        };
        let session = header
            .trim()
            .split_once(' ')
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .and_then(|(_, token)| Session::from_token(token.trim_start()));
        session.map_or(Credentials::Other, Credentials::Session)
    }

    pub fn session(self) -> Option<Session> {
        match self {
            Credentials::Session(session) => Some(session),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn tokens_are_128_bit_hex() {
        let s = Session::from_random([0xff, 0, 0x10, 0xab, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
        assert_eq!(s.as_str(), "ff0010ab0102030405060708090a0b0c");
    }

    #[test]
    fn only_a_bearer_of_the_issued_shape_is_a_session() {
        let bearer = format!("Bearer {TOKEN}");
        assert_eq!(
            Credentials::read(Some(&bearer))
                .session()
                .map(|s| s.as_str().to_string()),
            Some(TOKEN.to_string())
        );
        assert!(Credentials::read(Some(&format!("bearer  {TOKEN}")))
            .session()
            .is_some());
        assert_eq!(Credentials::read(None), Credentials::None);
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
            assert_eq!(
                Credentials::read(Some(&other)),
                Credentials::Other,
                "{other:?}"
            );
        }
    }
}
