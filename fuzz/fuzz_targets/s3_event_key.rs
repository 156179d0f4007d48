//! The S3 event key decoder under hostile input: `decode_event_key` never panics; every
//! key that is valid form URL encoding decodes to what a strict decoder gives; any text,
//! encoded as S3 encodes it, decodes back to itself; and a decoded key, encoded again,
//! decodes to the same key; and a key that is not valid encoding is refused (it once
//! decoded `%+1`, fuzz/artifacts-found/s3_event_key/signed-hex-escape).
#![no_main]

use autoexpose_lambda::decode_event_key;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(raw) = std::str::from_utf8(data) else {
        return;
    };
    let decoded = decode_event_key(raw);
    match (strict_decode(raw), &decoded) {
        (Some(expected), actual) => assert_eq!(actual.as_deref(), Ok(expected.as_str())),
        (None, Ok(key)) => {
            panic!("{raw:?} is not valid encoding but decoded to {key:?}")
        }
        (None, _) => {}
    }
    match &decoded {
        Ok(key) => assert_eq!(decode_event_key(&encode(key)).as_ref(), Ok(key)),
        Err(error) => assert_eq!(error.key, raw),
    }
    assert_eq!(decode_event_key(&encode(raw)).as_deref(), Ok(raw));
});

/// Form URL decoding by the letter: `+` is a space, `%` takes exactly two hex digits, and
/// the bytes must be UTF-8.
fn strict_decode(raw: &str) -> Option<String> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hi = hex_digit(*bytes.get(i + 1)?)?;
                let lo = hex_digit(*bytes.get(i + 2)?)?;
                out.push(hi << 4 | lo);
                i += 2;
            }
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

fn hex_digit(byte: u8) -> Option<u8> {
    char::from(byte).to_digit(16).map(|d| d as u8)
}

/// Encodes a key as S3 event notifications do: a space is `+`, unreserved bytes and `/`
/// stay, everything else is `%XX`.
fn encode(key: &str) -> String {
    let mut out = String::with_capacity(key.len() * 3);
    for &byte in key.as_bytes() {
        match byte {
            b' ' => out.push('+'),
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(char::from(byte));
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}
