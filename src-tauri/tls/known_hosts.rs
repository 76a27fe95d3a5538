//! The hosts a client has trusted, like SSH's known_hosts: one line per host, `HOST:PORT HEX`
//! (the address as the user gave it, lower-case, and the fingerprint's 64 hex digits); `#`
//! starts a comment. Kept in the user's data directory (`known_hosts`), or only in memory.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::Fingerprint;

/// The file's name in the user's data directory.
pub const FILE: &str = "known_hosts";

#[derive(Debug)]
pub struct KnownHosts {
    /// `None`: remembered for this process only.
    path: Option<PathBuf>,
    /// The in-memory copy (the whole table when there is no file). Held only to read or update
    /// the table and write the file, never across an await.
    table: Mutex<Option<HashMap<String, Fingerprint>>>,
}

impl KnownHosts {
    pub fn in_memory() -> KnownHosts {
        KnownHosts {
            path: None,
            table: Mutex::new(Some(HashMap::new())),
        }
    }

    /// Backed by `path` (read when first needed; a missing file is an empty table).
    pub fn file(path: impl Into<PathBuf>) -> KnownHosts {
        KnownHosts {
            path: Some(path.into()),
            table: Mutex::new(None),
        }
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// What `host` (`host:port`) was trusted as, if anything.
    pub fn get(&self, host: &str) -> Option<Fingerprint> {
        let mut t = self.table.lock().unwrap_or_else(|p| p.into_inner());
        self.loaded(&mut t).get(&key(host)).copied()
    }

    /// Trusts `host` as `fp` from now on (replacing what it was trusted as).
    pub fn remember(&self, host: &str, fp: Fingerprint) -> std::io::Result<()> {
        let mut t = self.table.lock().unwrap_or_else(|p| p.into_inner());
        let table = self.loaded(&mut t);
        if table.insert(key(host), fp) == Some(fp) {
            return Ok(());
        }
        let Some(path) = &self.path else {
            return Ok(());
        };
        let mut lines: Vec<_> = table
            .iter()
            .map(|(h, f)| format!("{h} {}", f.hex()))
            .collect();
        lines.sort();
        let text = format!(
            "# Hosts this lanchat client trusts: HOST:PORT SHA-256-of-certificate.\n\
             # Delete a line to trust that host anew.\n{}\n",
            lines.join("\n")
        );
        write_through(path, &text)
    }

    fn loaded<'a>(
        &self,
        t: &'a mut Option<HashMap<String, Fingerprint>>,
    ) -> &'a mut HashMap<String, Fingerprint> {
        t.get_or_insert_with(|| {
            let text = self
                .path
                .as_ref()
                .and_then(|p| std::fs::read_to_string(p).ok())
                .unwrap_or_default();
            parse(&text)
        })
    }
}

/// Replaces the file's text whole (a temporary file renamed over it, so a crash leaves the old
/// or the new table), where the path leads: through a symlink to its target, and straight into
/// anything that is not a regular file. `--known-hosts /dev/null` ("remember nothing") run as
/// root once had its rename replace /dev/null with a regular file.
fn write_through(path: &Path, text: &str) -> std::io::Result<()> {
    // Follow links by hand: `canonicalize` fails on a link whose target does not exist yet.
    let mut path = path.to_path_buf();
    for _ in 0..16 {
        match std::fs::read_link(&path) {
            Ok(to) => path = path.parent().unwrap_or(Path::new("")).join(to),
            Err(_) => break,
        }
    }
    match std::fs::metadata(&path) {
        Ok(m) if !m.is_file() => return std::fs::write(&path, text),
        _ => {}
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, &path)
}

/// Lines that do not read as `HOST FINGERPRINT` are skipped.
fn parse(text: &str) -> HashMap<String, Fingerprint> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let (host, fp) = l.split_once(char::is_whitespace)?;
            Some((key(host), Fingerprint::parse(fp.trim())?))
        })
        .collect()
}

fn key(host: &str) -> String {
    host.trim().to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A host trusted once is known to the next process that reads the file; a changed entry
    /// replaces the old one; junk lines are skipped.
    #[test]
    fn remembered_across_processes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join(FILE);
        let (a, b) = (Fingerprint::of(b"a"), Fingerprint::of(b"b"));
        let k = KnownHosts::file(&path);
        assert_eq!(k.get("10.0.0.1:7878"), None);
        k.remember("10.0.0.1:7878", a).unwrap();
        k.remember("Host.local:7878", b).unwrap();
        let again = KnownHosts::file(&path);
        assert_eq!(again.get("10.0.0.1:7878"), Some(a));
        assert_eq!(again.get("host.LOCAL:7878"), Some(b));
        again.remember("10.0.0.1:7878", b).unwrap();
        std::fs::write(
            &path,
            format!(
                "{}\nnot a line\n10.0.0.2:1 zz\n",
                std::fs::read_to_string(&path).unwrap()
            ),
        )
        .unwrap();
        assert_eq!(KnownHosts::file(&path).get("10.0.0.1:7878"), Some(b));
        assert_eq!(KnownHosts::file(&path).get("10.0.0.2:1"), None);
    }

    /// A known_hosts path that is a symlink stays one (its target, not there yet, gets the
    /// table) instead of being replaced by a file.
    #[test]
    fn written_through_symlinks() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("real");
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let fp = Fingerprint::of(b"a");
        KnownHosts::file(&link).remember("h:1", fp).unwrap();
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(KnownHosts::file(&target).get("h:1"), Some(fp));
    }
}
