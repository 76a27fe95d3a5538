//! Who a user is across connections and restarts (issue #14): each app keeps a secret user
//! key and presents it in the handshake (`auth.userKey`); the host derives a public user id
//! from it. Rights over a message (edit, delete, toggling a reaction) follow the user id, never
//! the nickname, so someone who takes your nickname later cannot edit your messages. The key
//! is never logged, stored by the host, echoed or shown (docs/security.md, "Identity").

use std::io::Write;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// The file in a data directory that holds its user's key.
pub const KEY_FILE: &str = "user.key";
/// Accepted key lengths, in characters (ours are 43: 32 random bytes in base64url).
pub const KEY_CHARS: std::ops::RangeInclusive<usize> = 16..=128;

/// A new random key: 32 bytes from the OS, base64url without padding.
pub fn new_key() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the OS random source failed");
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The public id of a key: base64url of the first 12 bytes of SHA-256("lanchat-user-v1:" +
/// key), 16 characters. One-way: the id does not reveal the key.
pub fn user_id(key: &str) -> String {
    let digest = Sha256::new()
        .chain_update(b"lanchat-user-v1:")
        .chain_update(key.as_bytes())
        .finalize();
    URL_SAFE_NO_PAD.encode(&digest[..12])
}

/// The user id of a connection: from its `auth.userKey` when it sent a usable one, otherwise
/// an id of its own for this connection only (the tutorial's clients send none).
pub fn user_id_for(key: Option<&str>) -> String {
    match key.filter(|k| KEY_CHARS.contains(&k.chars().count())) {
        Some(k) => user_id(k),
        None => user_id(&new_key()),
    }
}

/// The key kept in `dir` (created with mode 0600 on first use).
pub fn load_or_create(dir: &Path) -> std::io::Result<String> {
    let path = dir.join(KEY_FILE);
    if let Ok(text) = std::fs::read_to_string(&path) {
        let key = text.trim();
        if KEY_CHARS.contains(&key.chars().count()) {
            return Ok(key.to_owned());
        }
    }
    std::fs::create_dir_all(dir)?;
    let key = new_key();
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(&path)?;
    f.write_all(key.as_bytes())?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same key always gives the same short id; different keys give different ids.
    #[test]
    fn ids_are_stable_and_short() {
        let k = new_key();
        assert_eq!(k.len(), 43);
        assert_eq!(user_id(&k), user_id(&k));
        assert_eq!(user_id(&k).len(), 16);
        assert_ne!(user_id(&k), user_id(&new_key()));
        assert!(!user_id(&k).contains(&k[..8]));
    }

    /// A missing or unusable key gets a fresh id each time (no one shares it).
    #[test]
    fn keyless_connections_get_their_own_ids() {
        assert_ne!(user_id_for(None), user_id_for(None));
        assert_ne!(user_id_for(Some("short")), user_id_for(Some("short")));
        let k = "k".repeat(20);
        assert_eq!(user_id_for(Some(&k)), user_id(&k));
    }

    /// The key file is made once, private to its owner, and read back the same.
    #[test]
    fn key_file_persists() {
        let dir = std::env::temp_dir().join(format!("lanchat-key-{}", uuid::Uuid::new_v4()));
        let a = load_or_create(&dir).unwrap();
        let b = load_or_create(&dir).unwrap();
        assert_eq!(a, b);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join(KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
