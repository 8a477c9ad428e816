//! Tokens found in free text. Token *fields* of a JSON body are redacted where bodies are recorded
//! ([`crate::token_response::redact_tokens_in_body`]); this catches a JWT anywhere else — a claim that carries one, an
//! error page that echoes the assertion — before the text reaches a file (history, JUnit reports).
//! It does not know secrets: those never enter a report in the first place.

/// `text` with every JWT (compact JWS: `eyJ…` header, two dots, base64url parts) replaced by `***`.
pub fn redact_jwts(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while let Some(found) = text[i..].find("eyJ") {
        let start = i + found;
        let boundary = start == 0 || !is_token_byte(bytes[start - 1]);
        let end = start + bytes[start..].iter().take_while(|b| is_token_byte(**b) || **b == b'.').count();
        let candidate = &text[start..end];
        if boundary && looks_like_jwt(candidate) {
            out.push_str(&text[copied..start]);
            out.push_str("***");
            copied = end;
            i = end;
        } else {
            i = start + 3;
        }
    }
    out.push_str(&text[copied..]);
    out
}

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

/// Header and payload present: at least two dots, no empty first or second part.
fn looks_like_jwt(s: &str) -> bool {
    let parts: Vec<&str> = s.trim_end_matches('.').splitn(3, '.').collect();
    parts.len() >= 2 && parts[0].len() > 4 && !parts[1].is_empty() && s.matches('.').count() >= 2
}

#[cfg(test)]
mod tests {
    use super::redact_jwts;

    #[test]
    fn jwts_anywhere_in_text_are_replaced_and_nothing_else() {
        let jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.sig-_nature";
        for (text, want) in [
            (format!("token {jwt} here"), "token *** here".to_owned()),
            (format!("\"assertion\":\"{jwt}\""), "\"assertion\":\"***\"".to_owned()),
            (format!("{jwt}."), "***".to_owned()),
            ("eyJ is not a token".to_owned(), "eyJ is not a token".to_owned()),
            ("keyJ.a.b stays: it starts mid-word".to_owned(), "keyJ.a.b stays: it starts mid-word".to_owned()),
            ("ünïcode eyJhbGc stays".to_owned(), "ünïcode eyJhbGc stays".to_owned()),
            (format!("two: {jwt} {jwt}"), "two: *** ***".to_owned()),
        ] {
            assert_eq!(redact_jwts(&text), want, "{text}");
        }
    }
}
