//! Tokens: `Authenticator::access` (HS256 verification, then the claims) with a fixed
//! key set, on arbitrary text (also as `Authorization: Bearer` and `?token=` through
//! the guard) and on tokens signed here from fuzz input, then changed by one byte or
//! not. Only an unchanged token signed with the key of the id it names is accepted,
//! and it grants exactly its claims; nothing panics.
#![no_main]

use std::sync::LazyLock;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use http::header::AUTHORIZATION;
use http::{HeaderMap, HeaderValue};
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use reprise::auth::jwt::MAX_TOKEN_BYTES;
use reprise::auth::{Access, AuthError};
use reprise::config::Config;
use reprise::transport::guard::Guard;
use serde_json::json;
use sha2::Sha256;

/// The key set: two ids, as during a rotation.
const KEYS: &[(&str, &[u8])] = &[
    ("old", b"old-secret-0123456789"),
    ("new", b"new-secret-0123456789"),
];
/// 2100-01-01: a token that has not expired.
const LATER: u64 = 4_102_444_800;

static GUARD: LazyLock<Guard> = LazyLock::new(|| {
    let auth_keys = KEYS
        .iter()
        .map(|(kid, key)| format!("{kid}:{}", String::from_utf8_lossy(key)))
        .collect();
    Guard::new(&Config {
        auth_keys,
        ..Config::default()
    })
});

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode & 1 == 0 {
        if let Ok(text) = std::str::from_utf8(rest) {
            arbitrary_text(text);
        }
    } else {
        let _ = signed_here(&mut Unstructured::new(rest));
    }
});

/// What an access amounts to, to compare two.
fn outcome(access: &Access) -> Result<&str, AuthError> {
    match access {
        Access::Token(grant) => Ok(&grant.subject),
        Access::Denied(why) => Err(*why),
        Access::Open => panic!("authentication is on"),
    }
}

fn arbitrary_text(text: &str) {
    let access = GUARD.access(Some(text));
    let direct = outcome(&access);
    let trimmed = text.trim();
    if trimmed.is_empty() {
        assert_eq!(direct, Err(AuthError::Missing));
    } else if trimmed.len() > MAX_TOKEN_BYTES {
        assert_eq!(direct, Err(AuthError::Malformed));
    }
    let query = GUARD.http_access(&HeaderMap::new(), Some(text));
    assert_eq!(outcome(&query), direct);
    let Ok(value) = HeaderValue::from_str(&format!("Bearer {text}")) else {
        return;
    };
    if value.to_str().is_ok() {
        let headers = HeaderMap::from_iter([(AUTHORIZATION, value)]);
        let bearer = GUARD.http_access(&headers, Some("ignored"));
        assert_eq!(outcome(&bearer), direct);
    }
}

/// A token built and signed here, maybe with a byte changed afterwards.
fn signed_here(u: &mut Unstructured) -> Result<()> {
    let kid: Option<&str> = match u.int_in_range(0..=3)? {
        0 => None,
        1 => Some("old"),
        2 => Some("new"),
        _ => Some(u.arbitrary()?),
    };
    let canonical_header = u.ratio(7, 8)?;
    let header = if canonical_header {
        json!({"alg": "HS256", "typ": "JWT", "kid": kid})
            .to_string()
            .into_bytes()
    } else {
        u.arbitrary::<Vec<u8>>()?
    };
    let sub: String = u.arbitrary()?;
    let exp = if u.ratio(3, 4)? {
        LATER
    } else {
        u.arbitrary()?
    };
    let paths: Vec<String> = u.arbitrary_iter()?.take(4).collect::<Result<_>>()?;
    let claims_built = u.ratio(7, 8)?;
    let claims = if claims_built {
        json!({"sub": sub, "exp": exp, "paths": paths})
            .to_string()
            .into_bytes()
    } else {
        u.arbitrary::<Vec<u8>>()?
    };
    let key_index = u.int_in_range(0..=KEYS.len())?;
    let key: &[u8] = KEYS
        .get(key_index)
        .map_or(b"another-secret-0123", |(_, key)| key);
    let mut token = sign(&header, &claims, key).into_bytes();
    let changed = if u.ratio(1, 2)? {
        let at = u.choose_index(token.len())?;
        let byte: u8 = u.arbitrary()?;
        let changed = token[at] != byte;
        token[at] = byte;
        changed
    } else {
        false
    };
    let Ok(token) = String::from_utf8(token) else {
        return Ok(());
    };
    let access = GUARD.access(Some(&token));
    let key_of_kid = match kid {
        None => None,
        Some(kid) => KEYS.iter().find(|(id, _)| *id == kid).map(|(_, key)| *key),
    };
    let rightly_signed = canonical_header && key_of_kid == Some(key);
    match access {
        Access::Token(grant) => {
            assert!(
                key_index < KEYS.len(),
                "accepted a token signed with another key"
            );
            assert!(
                !canonical_header || rightly_signed,
                "accepted the wrong key: {token}"
            );
            assert!(!changed, "accepted a changed token: {token}");
            if claims_built {
                assert_eq!(
                    (grant.subject.as_str(), grant.expires_s),
                    (sub.as_str(), exp)
                );
                for path in &paths {
                    let own = path.trim_matches('/');
                    assert!(grant.allows(own), "{paths:?} does not grant {own:?}");
                }
            }
        }
        Access::Denied(why) => {
            // Longer than MAX_TOKEN_BYTES is refused unread, however well signed.
            let short = token.len() <= MAX_TOKEN_BYTES;
            let expected = rightly_signed && !changed && claims_built && exp == LATER && short;
            assert!(!expected, "{why:?} for a valid token: {token}");
        }
        Access::Open => panic!("authentication is on"),
    }
    Ok(())
}

/// The compact form of an HS256 token over these exact header and claims bytes.
fn sign(header: &[u8], claims: &[u8], key: &[u8]) -> String {
    let signed = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(claims)
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(signed.as_bytes());
    let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    format!("{signed}.{signature}")
}
