//! Download links as capabilities: a file's URL carries an HMAC of its room and content hash
//! under a secret only the host knows, so whoever received the file message has the link and
//! nobody else can make one (or list files). The secret lives in the files directory, so links
//! survive restarts.

use std::io::Write;
use std::path::Path;

use hmac::{Hmac, KeyInit, Mac};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use sha2::Sha256;

/// The secret's file inside the files directory.
const SECRET_FILE: &str = "secret";

/// Signs and checks download links.
pub struct Signer {
    key: [u8; 32],
}

impl Signer {
    /// Reads the host's secret from `dir`, making one on first use (readable by its owner only).
    pub fn load_or_create(dir: &Path) -> std::io::Result<Signer> {
        let path = dir.join(SECRET_FILE);
        if let Ok(text) = std::fs::read_to_string(&path)
            && let Ok(bytes) = hex::decode(text.trim())
            && let Ok(key) = <[u8; 32]>::try_from(bytes.as_slice())
        {
            return Ok(Signer { key });
        }
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).map_err(std::io::Error::other)?;
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let mut f = opts.open(&path)?;
        writeln!(f, "{}", hex::encode(key))?;
        f.sync_all()?;
        Ok(Signer { key })
    }

    fn mac(&self, room: &str, sha256: &str) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key");
        // The hash is fixed-length hex, so `room|hash` cannot be read two ways.
        mac.update(room.as_bytes());
        mac.update(b"|");
        mac.update(sha256.as_bytes());
        mac
    }

    /// The link signature for `sha256` in `room`, lower-case hex.
    pub fn sign(&self, room: &str, sha256: &str) -> String {
        hex::encode(self.mac(room, sha256).finalize().into_bytes())
    }

    /// Whether `sig` is the signature for `sha256` in `room` (constant time).
    pub fn verify(&self, room: &str, sha256: &str, sig: &str) -> bool {
        match hex::decode(sig) {
            Ok(bytes) => self.mac(room, sha256).verify_slice(&bytes).is_ok(),
            Err(_) => false,
        }
    }

    /// `/files/<sha256>/<name>?room=…&sig=…`
    pub fn file_url(&self, room: &str, sha256: &str, name: &str) -> String {
        format!(
            "/files/{sha256}/{}?room={}&sig={}",
            utf8_percent_encode(name, NON_ALPHANUMERIC),
            utf8_percent_encode(room, NON_ALPHANUMERIC),
            self.sign(room, sha256)
        )
    }

    /// `/thumbs/<sha256>?room=…&sig=…`
    pub fn thumb_url(&self, room: &str, sha256: &str) -> String {
        format!(
            "/thumbs/{sha256}?room={}&sig={}",
            utf8_percent_encode(room, NON_ALPHANUMERIC),
            self.sign(room, sha256)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A link signed for one room or file does not open another, and the secret survives a
    /// restart (the same directory gives the same signatures).
    #[test]
    fn links_are_bound_to_room_and_file_and_survive_restarts() {
        let dir = tempfile::tempdir().unwrap();
        let s = Signer::load_or_create(dir.path()).unwrap();
        let h = "ab".repeat(32);
        let sig = s.sign("lobby", &h);
        assert!(s.verify("lobby", &h, &sig));
        assert!(!s.verify("other", &h, &sig));
        assert!(!s.verify("lobby", &"cd".repeat(32), &sig));
        assert!(!s.verify("lobby", &h, ""));
        assert!(!s.verify("lobby", &h, "zz"));
        let again = Signer::load_or_create(dir.path()).unwrap();
        assert!(again.verify("lobby", &h, &sig));
        let other = Signer::load_or_create(tempfile::tempdir().unwrap().path()).unwrap();
        assert!(!other.verify("lobby", &h, &sig));
        assert_eq!(
            s.file_url("a b", &h, "x/y.png"),
            format!(
                "/files/{h}/x%2Fy%2Epng?room=a%20b&sig={}",
                s.sign("a b", &h)
            )
        );
    }
}
