//! A host's identity: the SHA-256 of its certificate (DER). Written two ways: 64 lower-case hex
//! digits where machines read it (invite links `fp=`, the TXT key `fp`, `/api/info`, known_hosts)
//! and 16 groups of 4 upper-case hex digits where people compare it by eye.

use sha2::{Digest, Sha256};

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint(pub [u8; 32]);

impl Fingerprint {
    /// The fingerprint of a certificate, given as DER.
    pub fn of(cert_der: &[u8]) -> Fingerprint {
        Fingerprint(Sha256::digest(cert_der).into())
    }

    /// 64 lower-case hex digits: the form links, records and files carry.
    pub fn hex(&self) -> String {
        hex::encode(self.0)
    }

    /// `3F2A 9C01 …`: 16 groups of 4 upper-case hex digits, for people.
    pub fn display(&self) -> String {
        let hex = hex::encode_upper(self.0);
        hex.as_bytes()
            .chunks(4)
            .map(|c| std::str::from_utf8(c).unwrap_or(""))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Reads either form (and `AB:CD:…`), in any case; `None` unless it is 32 bytes exactly.
    pub fn parse(s: &str) -> Option<Fingerprint> {
        crate::protocol::fingerprint(s).map(Fingerprint)
    }
}

impl std::fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.display())
    }
}

impl std::fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Fingerprint({})", self.hex())
    }
}

impl std::str::FromStr for Fingerprint {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Fingerprint::parse(s).ok_or_else(|| {
            format!("`{s}` is not a fingerprint: 64 hex digits (spaces and colons allowed)")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both written forms read back to the same fingerprint; anything else is refused.
    #[test]
    fn both_forms_round_trip() {
        let fp = Fingerprint::of(b"certificate");
        assert_eq!(fp.hex().len(), 64);
        let shown = fp.display();
        assert_eq!(shown.split(' ').count(), 16);
        assert_eq!(shown, shown.to_uppercase());
        assert_eq!(Fingerprint::parse(&fp.hex()), Some(fp));
        assert_eq!(Fingerprint::parse(&shown), Some(fp));
        assert_eq!(
            Fingerprint::parse(&shown.to_lowercase().replace(' ', ":")),
            Some(fp)
        );
        assert_eq!(Fingerprint::parse(&fp.hex()[..62]), None);
        assert_eq!(Fingerprint::parse(&format!("{}00", fp.hex())), None);
        assert_eq!(Fingerprint::parse(&fp.hex().replace('a', "g")), None);
        assert_eq!(Fingerprint::parse(""), None);
    }
}
