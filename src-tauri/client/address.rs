//! Understands what people paste as a server address: `host:port`, `host`, or a whole invite
//! link `http://host:port/?room=R&nick=N&fp=FINGERPRINT` (`https://` alike).

/// Port used when an address has none.
pub const DEFAULT_PORT: u16 = 7878;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// `http://host:port`, no trailing slash (the scheme as given: app clients use TLS
    /// whatever it says).
    pub base_url: String,
    /// `host:port`, lower-case: what the host is remembered as in known_hosts.
    pub authority: String,
    pub room: Option<String>,
    pub nick: Option<String>,
    /// The host's fingerprint from the link's `fp=`. A malformed one makes the whole address
    /// invalid: quietly dropping it would fall back to trust on first use.
    pub fingerprint: Option<crate::tls::Fingerprint>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a server address; use host:port or an invite link")]
pub struct BadAddress(pub String);

pub fn parse_target(input: &str) -> Result<Target, BadAddress> {
    let bad = || BadAddress(input.to_owned());
    let s = input.trim();
    if s.is_empty() {
        return Err(bad());
    }
    let rest = s
        .strip_prefix("http://")
        .or_else(|| s.strip_prefix("https://"))
        .unwrap_or(s);
    let scheme = if s.starts_with("https://") {
        "https"
    } else {
        "http"
    };
    let (authority, tail) = match rest.find(['/', '?']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    if authority.is_empty() || authority.contains(char::is_whitespace) || authority.contains('@') {
        return Err(bad());
    }
    let has_port = match authority.rfind(':') {
        // `[::1]:7878` or `host:7878`; a bare IPv6 `[::1]` has no port.
        Some(i) => {
            !authority.ends_with(']') && {
                let port = &authority[i + 1..];
                if port.parse::<u16>().is_err() {
                    return Err(bad());
                }
                true
            }
        }
        None => false,
    };
    let authority = if has_port {
        authority.to_owned()
    } else {
        format!("{authority}:{DEFAULT_PORT}")
    };
    let mut room = None;
    let mut nick = None;
    let mut fingerprint = None;
    if let Some(q) = tail.split_once('?').map(|(_, q)| q) {
        for pair in q.split('&') {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let v = percent_decode(v);
            match k {
                "room" if !v.is_empty() => room = Some(v),
                "nick" if !v.is_empty() => nick = Some(v),
                "fp" if !v.is_empty() => {
                    fingerprint = Some(crate::tls::Fingerprint::parse(&v).ok_or_else(bad)?);
                }
                _ => {}
            }
        }
    }
    Ok(Target {
        base_url: format!("{scheme}://{authority}"),
        authority: authority.to_ascii_lowercase(),
        room,
        nick,
        fingerprint,
    })
}

/// Decodes `%XX` and `+` in a query value; invalid escapes are kept as written.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = |c: u8| (c as char).to_digit(16);
                match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 3;
                        continue;
                    }
                    _ => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_port_and_invite_links_are_understood() {
        let t = parse_target("192.168.1.5:4000").unwrap();
        assert_eq!(t.base_url, "http://192.168.1.5:4000");
        assert_eq!(t.room, None);
        let t = parse_target(" http://10.0.0.2:7878/?room=lan%20party&nick=bo+b ").unwrap();
        assert_eq!(t.base_url, "http://10.0.0.2:7878");
        assert_eq!(t.room.as_deref(), Some("lan party"));
        assert_eq!(t.nick.as_deref(), Some("bo b"));
        assert_eq!(
            parse_target("myhost").unwrap().base_url,
            "http://myhost:7878"
        );
        assert_eq!(
            parse_target("[::1]:9000").unwrap().base_url,
            "http://[::1]:9000"
        );
    }

    #[test]
    fn junk_is_refused() {
        assert!(parse_target("").is_err());
        assert!(parse_target("host:notaport").is_err());
        assert!(parse_target("host:99999").is_err());
        assert!(parse_target("a b:1").is_err());
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
    }
}
