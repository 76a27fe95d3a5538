//! What a host says about itself on the LAN: the TXT record's keys, written by the announcer and
//! read — as untrusted input from anyone on the network — by browsers; and the random instance
//! name it is announced under.

use std::collections::HashMap;

/// The TXT keys (docs/protocol.md, "Discovery"). Short, as DNS-SD asks (RFC 6763 §6.4).
pub mod keys {
    /// The record's format, `1`; first, as RFC 6763 §6.7 suggests.
    pub const TXTVERS: &str = "txtvers";
    /// Display name.
    pub const NAME: &str = "name";
    /// lanchat version.
    pub const VERSION: &str = "ver";
    /// `1` when a password is needed, `0` when not.
    pub const PASSWORD: &str = "pw";
    /// Connections right now, in decimal.
    pub const PEOPLE: &str = "people";
    /// The host's certificate fingerprint, 64 hex digits: a client joining from this record
    /// pins it (a record with a malformed one reads as having none).
    pub const FINGERPRINT: &str = "fp";
}

/// This record format. A browser reads any version, key by key, ignoring keys it does not know.
pub const TXT_FORMAT: &str = "1";

/// Longest display name sent and accepted, in characters. (A TXT string holds 255 bytes
/// including its key; 63 characters of up to 3 bytes fit with room to spare.)
pub const MAX_NAME_CHARS: usize = 63;
/// Longest version string accepted.
pub const MAX_VERSION_CHARS: usize = 32;

/// The TXT record's meaning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub name: String,
    pub version: String,
    pub password_required: bool,
    pub people: u32,
    /// 64 lower-case hex digits; `None` when absent or malformed.
    pub fingerprint: Option<String>,
}

impl Record {
    /// The TXT properties, in order, with the name cut to [`MAX_NAME_CHARS`].
    pub fn to_txt(&self) -> Vec<(&'static str, String)> {
        vec![
            (keys::TXTVERS, TXT_FORMAT.to_owned()),
            (keys::NAME, clean_text(&self.name, MAX_NAME_CHARS)),
            (keys::VERSION, clean_text(&self.version, MAX_VERSION_CHARS)),
            (
                keys::PASSWORD,
                if self.password_required { "1" } else { "0" }.to_owned(),
            ),
            (keys::PEOPLE, self.people.to_string()),
        ]
        .into_iter()
        .chain(
            self.fingerprint
                .iter()
                .map(|f| (keys::FINGERPRINT, f.clone())),
        )
        .collect()
    }

    /// Reads a record someone on the LAN sent. Never fails: a missing or malformed key reads as
    /// empty, `false` or 0; text loses control characters and is cut to length. Keys are
    /// case-insensitive (RFC 6763 §6.4).
    pub fn from_txt(txt: &HashMap<String, String>) -> Record {
        let get = |key: &str| {
            txt.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map_or("", |(_, v)| v.as_str())
        };
        Record {
            name: clean_text(get(keys::NAME), MAX_NAME_CHARS),
            version: clean_text(get(keys::VERSION), MAX_VERSION_CHARS),
            password_required: get(keys::PASSWORD).trim() == "1",
            people: get(keys::PEOPLE).trim().parse().unwrap_or(0),
            fingerprint: crate::tls::Fingerprint::parse(get(keys::FINGERPRINT)).map(|f| f.hex()),
        }
    }
}

/// One line of text to show: control and format characters (bidi overrides, zero-width
/// characters) dropped, whitespace runs made one space, trimmed, at most `max` characters.
fn clean_text(raw: &str, max: usize) -> String {
    let visible = raw
        .chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .filter(|c| !c.is_control() && !is_format(*c));
    let mut out = String::new();
    for c in visible {
        if c == ' ' && (out.is_empty() || out.ends_with(' ')) {
            continue;
        }
        out.push(c);
    }
    out.trim_end()
        .chars()
        .take(max)
        .collect::<String>()
        .trim_end()
        .to_owned()
}

/// Format characters (general category Cf): bidi overrides, zero-width spaces and joiners, BOM.
fn is_format(c: char) -> bool {
    use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};
    c.general_category() == GeneralCategory::Format
}

/// A new instance name, `lanchat-` and 12 random hex digits: unique on any LAN, and never the
/// computer's name (which Bonjour would rename the machine over on a clash, mdns-sd#410).
/// Also the SRV target's host label, `<name>.local.`.
pub fn instance_name() -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("lanchat-{}", &id[..12])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn txt(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// What a host writes, a browser reads back the same.
    #[test]
    fn a_record_round_trips() {
        let r = Record {
            name: "Room 101".into(),
            version: "0.1.0".into(),
            password_required: true,
            people: 12,
            fingerprint: Some(crate::tls::Fingerprint::of(b"cert").hex()),
        };
        let sent: HashMap<String, String> = r
            .to_txt()
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        assert_eq!(sent[keys::TXTVERS], "1");
        assert_eq!(sent[keys::FINGERPRINT].len(), 64);
        assert_eq!(Record::from_txt(&sent), r);
    }

    /// A hostile or broken record cannot put control characters, bidi overrides or a page of
    /// text into the Join screen, and bad numbers read as 0.
    #[test]
    fn untrusted_records_are_cleaned() {
        let long = "x".repeat(500);
        let r = Record::from_txt(&txt(&[
            ("NAME", "  evil\u{202e}gnp.exe\n\tline\u{7}  "),
            ("ver", &long),
            ("pw", "yes"),
            ("people", "-3"),
            ("fp", "not-a-fingerprint"),
        ]));
        assert_eq!(r.fingerprint, None);
        assert_eq!(r.name, "evilgnp.exe line");
        assert_eq!(r.version.chars().count(), MAX_VERSION_CHARS);
        assert!(!r.password_required, "only `1` means a password is needed");
        assert_eq!(r.people, 0);

        let empty = Record::from_txt(&HashMap::new());
        assert_eq!(empty.name, "");
        assert_eq!(empty.people, 0);
        let blank = Record::from_txt(&txt(&[("name", "\u{200b}\u{200b} ")]));
        assert_eq!(blank.name, "");
    }

    /// A long display name is cut to fit one TXT string (255 bytes with its key).
    #[test]
    fn long_names_fit_a_txt_string() {
        let r = Record {
            name: "名".repeat(200),
            version: "0.1.0".into(),
            password_required: false,
            people: 0,
            fingerprint: None,
        };
        for (k, v) in r.to_txt() {
            assert!(k.len() + 1 + v.len() <= 255, "{k} is {} bytes", v.len());
        }
    }

    /// Instance names are random and never the hostname.
    #[test]
    fn instance_names_are_random() {
        let a = instance_name();
        assert!(a.starts_with("lanchat-") && a.len() == 20, "{a}");
        assert_ne!(a, instance_name());
    }
}
