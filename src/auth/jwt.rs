//! HS256 JSON Web Tokens: the compact form checked by hand, so that nothing but
//! HS256 with a known key id is ever accepted (no `none`, no algorithm confusion).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use sha2::Sha256;

use super::AuthError;

/// The longest token read at all, in bytes.
pub const MAX_TOKEN_BYTES: usize = 8_192;

#[derive(Deserialize)]
struct Header {
    alg: String,
    kid: Option<String>,
}

/// The parts of a token whose signature `key_for(kid)` verifies, its claims decoded.
pub fn verify<'k, C: DeserializeOwned>(
    token: &str,
    key_for: impl Fn(Option<&str>) -> Option<&'k [u8]>,
) -> Result<C, AuthError> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(AuthError::Malformed);
    }
    let (signed, signature) = token.rsplit_once('.').ok_or(AuthError::Malformed)?;
    let (header, claims) = signed.split_once('.').ok_or(AuthError::Malformed)?;
    if claims.contains('.') {
        return Err(AuthError::Malformed);
    }
    let header: Header = decode_json(header)?;
    if header.alg != "HS256" {
        return Err(AuthError::Algorithm);
    }
    let key = key_for(header.kid.as_deref()).ok_or(AuthError::UnknownKey)?;
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| AuthError::Malformed)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(signed.as_bytes());
    mac.verify_slice(&signature)
        .map_err(|_| AuthError::Signature)?;
    decode_json(claims)
}

fn decode_json<T: DeserializeOwned>(part: &str) -> Result<T, AuthError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| AuthError::Malformed)?;
    serde_json::from_slice(&bytes).map_err(|_| AuthError::Malformed)
}

/// Signs `claims` as an HS256 token with key id `kid`: for tests and tools.
pub fn sign(claims: &serde_json::Value, kid: &str, key: &[u8]) -> String {
    let header = serde_json::json!({ "alg": "HS256", "typ": "JWT", "kid": kid });
    let encode = |value: &serde_json::Value| URL_SAFE_NO_PAD.encode(value.to_string());
    let signed = format!("{}.{}", encode(&header), encode(claims));
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(signed.as_bytes());
    let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    format!("{signed}.{signature}")
}
