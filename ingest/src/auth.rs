//! Who may post: Jira's `X-Hub-Signature: sha256=<hex>` (HMAC-SHA256 of the raw body with the
//! webhook secret), or, for Jira Automation which cannot sign, a shared token in the
//! `X-Artflow-Token` header or the `token` query parameter. Both compared in constant time.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The configured credentials. With neither, every request is accepted: only for local demos,
/// and only when asked for explicitly ([`Auth::insecure`]).
#[derive(Clone, Default)]
pub struct Auth {
    secret: Option<Vec<u8>>,
    token: Option<String>,
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auth")
            .field("secret", &self.secret.as_ref().map(|_| "***"))
            .field("token", &self.token.as_ref().map(|_| "***"))
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error(
        "no webhook secret or token is configured; refusing to accept unauthenticated webhooks (use --insecure-no-auth for a local demo)"
    )]
    NothingConfigured,
    #[error("missing X-Hub-Signature header (or X-Artflow-Token)")]
    Missing,
    #[error("X-Hub-Signature {0:?} is not of the form sha256=<hex>")]
    Malformed(String),
    #[error("X-Hub-Signature method {0:?} is not supported (only sha256)")]
    UnknownMethod(String),
    #[error("the signature does not match the body")]
    BadSignature,
    #[error("the token is wrong")]
    BadToken,
}

impl Auth {
    /// Credentials from a secret and/or a token; empty strings count as absent.
    pub fn new(secret: Option<String>, token: Option<String>) -> Result<Auth, AuthError> {
        let secret = secret.filter(|s| !s.is_empty()).map(String::into_bytes);
        let token = token.filter(|t| !t.is_empty());
        if secret.is_none() && token.is_none() {
            return Err(AuthError::NothingConfigured);
        }
        Ok(Auth { secret, token })
    }

    /// Accepts everything (local demos only).
    pub fn insecure() -> Auth {
        Auth::default()
    }

    pub fn is_insecure(&self) -> bool {
        self.secret.is_none() && self.token.is_none()
    }

    /// Checks a request: a valid signature, or a valid token, where configured.
    pub fn check(
        &self,
        signature: Option<&str>,
        token: Option<&str>,
        body: &[u8],
    ) -> Result<(), AuthError> {
        if self.is_insecure() {
            return Ok(());
        }
        let mut failure = AuthError::Missing;
        if let (Some(secret), Some(sig)) = (&self.secret, signature) {
            match verify_signature(secret, sig, body) {
                Ok(()) => return Ok(()),
                Err(e) => failure = e,
            }
        }
        if let (Some(expected), Some(given)) = (&self.token, token) {
            if constant_time_eq(expected.as_bytes(), given.as_bytes()) {
                return Ok(());
            }
            if failure == AuthError::Missing {
                failure = AuthError::BadToken;
            }
        }
        Err(failure)
    }
}

/// The `X-Hub-Signature` value Jira sends for a body: `sha256=<hex>`.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(body);
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256={hex}")
}

fn verify_signature(secret: &[u8], header: &str, body: &[u8]) -> Result<(), AuthError> {
    let (method, hex) = header
        .trim()
        .split_once('=')
        .ok_or_else(|| AuthError::Malformed(header.to_owned()))?;
    if !method.eq_ignore_ascii_case("sha256") {
        return Err(AuthError::UnknownMethod(method.to_owned()));
    }
    let given = decode_hex(hex).ok_or_else(|| AuthError::Malformed(header.to_owned()))?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(body);
    mac.verify_slice(&given)
        .map_err(|_| AuthError::BadSignature)
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Equal contents, in time that depends only on the lengths.
/// Equality of two secrets in time that does not depend on where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures() {
        let auth = Auth::new(Some("s3cret".into()), None).unwrap();
        let body = br#"{"a":1}"#;
        let sig = sign(b"s3cret", body);
        assert_eq!(auth.check(Some(&sig), None, body), Ok(()));
        assert_eq!(
            auth.check(
                Some(&sig.to_uppercase().replace("SHA256", "sha256")),
                None,
                body
            ),
            Ok(())
        );
        assert_eq!(
            auth.check(Some(&sig), None, br#"{"a":2}"#),
            Err(AuthError::BadSignature)
        );
        assert_eq!(
            auth.check(Some(&sign(b"other", body)), None, body),
            Err(AuthError::BadSignature)
        );
        assert_eq!(auth.check(None, None, body), Err(AuthError::Missing));
        assert_eq!(
            auth.check(Some("sha1=abcd"), None, body),
            Err(AuthError::UnknownMethod("sha1".into()))
        );
        assert!(matches!(
            auth.check(Some("sha256=zz"), None, body),
            Err(AuthError::Malformed(_))
        ));
        assert!(matches!(
            auth.check(Some("nonsense"), None, body),
            Err(AuthError::Malformed(_))
        ));
        // A token is no use where only a secret is configured.
        assert_eq!(
            auth.check(None, Some("s3cret"), body),
            Err(AuthError::Missing)
        );
    }

    #[test]
    fn tokens() {
        let auth = Auth::new(None, Some("tok".into())).unwrap();
        assert_eq!(auth.check(None, Some("tok"), b""), Ok(()));
        assert_eq!(
            auth.check(None, Some("tok2"), b""),
            Err(AuthError::BadToken)
        );
        assert_eq!(auth.check(None, None, b""), Err(AuthError::Missing));
        let both = Auth::new(Some("s".into()), Some("t".into())).unwrap();
        assert_eq!(both.check(Some("sha256=00"), Some("t"), b"x"), Ok(()));
        assert_eq!(both.check(Some(&sign(b"s", b"x")), None, b"x"), Ok(()));
    }

    #[test]
    fn nothing_configured_is_refused_unless_insecure() {
        assert_eq!(
            Auth::new(Some(String::new()), None).unwrap_err(),
            AuthError::NothingConfigured
        );
        assert_eq!(Auth::insecure().check(None, None, b"x"), Ok(()));
        assert!(
            !format!("{:?}", Auth::new(Some("s3cret".into()), None).unwrap()).contains("s3cret")
        );
    }
}
