//! Tokens: signatures, key rotation, expiry, algorithms, and path prefixes.
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::json;

use super::*;

const OLD: &[u8] = b"old-secret-0123456789";
const NEW: &[u8] = b"new-secret-0123456789";

fn authenticator() -> Authenticator {
    let entries = ["old:old-secret-0123456789", "new:new-secret-0123456789"];
    let entries: Vec<String> = entries.iter().map(|e| e.to_string()).collect();
    Authenticator::from_entries(&entries).unwrap().unwrap()
}

fn token(kid: &str, key: &[u8], exp_in_s: i64, paths: &[&str]) -> String {
    let exp = now_s() as i64 + exp_in_s;
    jwt::sign(
        &json!({ "sub": "alice", "exp": exp, "paths": paths }),
        kid,
        key,
    )
}

fn denied(access: Access) -> Option<AuthError> {
    match access {
        Access::Denied(why) => Some(why),
        _ => None,
    }
}

#[test]
fn every_current_key_id_verifies_and_nothing_else_does() {
    let auth = authenticator();
    for (kid, key) in [("old", OLD), ("new", NEW)] {
        let access = auth.access(Some(&token(kid, key, 60, &["clips/"])));
        assert_eq!(access.subject(), Some("alice"), "{kid}");
    }
    let wrong_key = token("new", OLD, 60, &[]);
    assert_eq!(
        denied(auth.access(Some(&wrong_key))),
        Some(AuthError::Signature)
    );
    let unknown = token("gone", OLD, 60, &[]);
    assert_eq!(
        denied(auth.access(Some(&unknown))),
        Some(AuthError::UnknownKey)
    );
    let expired = token("new", NEW, -1, &[]);
    assert_eq!(
        denied(auth.access(Some(&expired))),
        Some(AuthError::Expired)
    );
    assert_eq!(denied(auth.access(None)), Some(AuthError::Missing));
    assert_eq!(denied(auth.access(Some("a.b"))), Some(AuthError::Malformed));
    assert_eq!(
        denied(auth.access(Some("a.b.c.d"))),
        Some(AuthError::Malformed)
    );
}

#[test]
fn a_token_that_is_not_hs256_or_was_altered_is_refused() {
    let auth = authenticator();
    let good = token("new", NEW, 60, &["clips/"]);
    let (header, rest) = good.split_once('.').unwrap();
    let none = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","kid":"new"}"#);
    let unsigned = format!("{none}.{}", rest.rsplit_once('.').unwrap().0);
    assert_eq!(
        denied(auth.access(Some(&format!("{unsigned}.")))),
        Some(AuthError::Algorithm)
    );
    let (claims, signature) = rest.split_once('.').unwrap();
    let wider = URL_SAFE_NO_PAD.encode(r#"{"sub":"alice","exp":9999999999,"paths":[""]}"#);
    assert_ne!(claims, wider);
    let forged = format!("{header}.{wider}.{signature}");
    assert_eq!(
        denied(auth.access(Some(&forged))),
        Some(AuthError::Signature)
    );
}

#[test]
fn prefixes_grant_whole_path_segments() {
    let auth = authenticator();
    let access = auth.access(Some(&token(
        "new",
        NEW,
        60,
        &["clips", "/shows/2024/", "one.mp4"],
    )));
    for allowed in [
        "clips/a.mp4",
        "clips/x/y.mp4",
        "shows/2024/e1.mkv",
        "one.mp4",
    ] {
        assert!(access.check(allowed).is_ok(), "{allowed}");
    }
    for refused in [
        "clipsX/a.mp4",
        "shows/2023/e1.mkv",
        "one.mp4.bak",
        "other.mp4",
    ] {
        assert!(
            matches!(access.check(refused), Err(RequestError::Forbidden)),
            "{refused}"
        );
    }
    let everything = auth.access(Some(&token("new", NEW, 60, &[""])));
    assert!(everything.check("any/where.mp4").is_ok());
    let nothing = auth.access(Some(&token("new", NEW, 60, &[])));
    assert!(matches!(
        nothing.check("a.mp4"),
        Err(RequestError::Forbidden)
    ));
    assert!(Access::Open.check("a.mp4").is_ok());
}

#[test]
fn keys_must_name_an_id_and_a_long_enough_secret() {
    assert!(Authenticator::from_entries(&[]).unwrap().is_none());
    for bad in ["nokey", ":0123456789abcdef", "k:short"] {
        assert!(
            Authenticator::from_entries(&[bad.to_owned()]).is_err(),
            "{bad}"
        );
    }
}
