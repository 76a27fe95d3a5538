//! Which web pages and host names may talk to the server. A page on any site a LAN user visits
//! could otherwise open a socket to the host and read a guessable room (browsers send `Origin`
//! but do not enforce same-origin on WebSockets), and a DNS-rebinding page could read
//! `/api/info` under its own name. Clients that are not browsers send no `Origin` and pass.
//! In a cluster, a page served by one node may talk to the others: a guest whose node dies
//! moves its socket to another node, and that node sees the first one's page as `Origin`.

use std::net::IpAddr;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Who may connect besides the host's own pages (default: nobody else).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OriginPolicy {
    /// Extra page origins allowed (`http://intranet.example:8080`), or `*` for any.
    pub allowed_origins: Vec<String>,
    /// Extra host names the server may be reached by (besides IP addresses, `localhost`, this
    /// computer's name and `NAME.local`).
    pub allowed_hosts: Vec<String>,
}

/// Refuses requests whose `Host` is a name this server does not answer to, and requests from a
/// page (`Origin`) that is neither this server's own nor allowed.
pub async fn check(State(policy): State<Arc<Checker>>, req: Request, next: Next) -> Response {
    match policy.verdict(req.headers()) {
        Ok(()) => next.run(req).await,
        Err(why) => {
            tracing::info!("refused a request: {why}");
            (StatusCode::FORBIDDEN, why).into_response()
        }
    }
}

/// The addresses of the cluster's live nodes (`NodeInfo.url`, e.g. `http://10.0.0.2:7878`),
/// asked for only when a page's origin is not otherwise allowed; empty on a single host.
pub type Peers = Arc<dyn Fn() -> Vec<String> + Send + Sync>;

/// The policy with this computer's own names resolved once.
pub struct Checker {
    policy: OriginPolicy,
    /// This computer's host name, lower case.
    own_name: String,
    /// The cluster's nodes, whose pages are this server's own too (`Control::nodes`).
    peers: Option<Peers>,
}

impl std::fmt::Debug for Checker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Checker")
            .field("policy", &self.policy)
            .field("own_name", &self.own_name)
            .field("peers", &self.peers.is_some())
            .finish()
    }
}

impl Checker {
    pub fn new(policy: OriginPolicy, own_name: &str) -> Checker {
        Checker {
            policy,
            own_name: own_name.to_ascii_lowercase(),
            peers: None,
        }
    }

    /// Also allows pages served by the cluster's other nodes: `peers` lists their addresses
    /// (`Control::nodes()` urls), read at each request that needs it since nodes come and go.
    pub fn with_peers(mut self, peers: Peers) -> Checker {
        self.peers = Some(peers);
        self
    }

    pub fn verdict(&self, headers: &HeaderMap) -> Result<(), String> {
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("");
        if !host.is_empty() && !self.host_allowed(host) {
            return Err(format!(
                "this lanchat host does not answer to the name {:?}; use its address",
                host.chars().take(100).collect::<String>()
            ));
        }
        let Some(origin) = headers.get(header::ORIGIN) else {
            return Ok(());
        };
        let origin = origin.to_str().unwrap_or("");
        if self.origin_allowed(origin, host) {
            Ok(())
        } else {
            Err(format!(
                "pages from {:?} may not use this lanchat host (see --allow-origin)",
                origin.chars().take(100).collect::<String>()
            ))
        }
    }

    fn host_allowed(&self, host: &str) -> bool {
        let name = strip_port(host).to_ascii_lowercase();
        let name = name.trim_start_matches('[').trim_end_matches(']');
        name.parse::<IpAddr>().is_ok()
            || name == "localhost"
            || name == self.own_name
            || name.strip_suffix(".local") == Some(self.own_name.as_str())
            || self
                .policy
                .allowed_hosts
                .iter()
                .any(|h| h.eq_ignore_ascii_case(name))
    }

    fn origin_allowed(&self, origin: &str, host: &str) -> bool {
        let list = &self.policy.allowed_origins;
        if list
            .iter()
            .any(|o| o == "*" || o.eq_ignore_ascii_case(origin))
        {
            return true;
        }
        let Some((scheme, authority)) = origin.split_once("://") else {
            return false;
        };
        // The host's own pages: same host and port as the request.
        if matches!(scheme, "http" | "https") && authority.eq_ignore_ascii_case(host) {
            return true;
        }
        // The desktop window, and pages on this computer (a local dev server).
        let name = strip_port(authority)
            .trim_start_matches('[')
            .trim_end_matches(']');
        // `tauri://localhost` and `http://localhost:…` alike.
        if name == "tauri.localhost"
            || name == "localhost"
            || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
        {
            return true;
        }
        // A page served by another node of the cluster (over http or https: a node answers both
        // on its one port).
        matches!(scheme, "http" | "https")
            && self.peers.as_ref().is_some_and(|peers| {
                peers()
                    .iter()
                    .filter_map(|url| url.split_once("://").map(|(_, rest)| rest))
                    .map(|rest| rest.split(['/', '?', '#']).next().unwrap_or(""))
                    .any(|peer| !peer.is_empty() && peer.eq_ignore_ascii_case(authority))
            })
    }
}

/// `host:port` → `host` (IPv6 literals keep their brackets).
fn strip_port(authority: &str) -> &str {
    if authority.starts_with('[') {
        return authority.split_inclusive(']').next().unwrap_or(authority);
    }
    match authority.rsplit_once(':') {
        Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) => h,
        _ => authority,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(policy: OriginPolicy, host: &str, origin: Option<&str>) -> bool {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, host.parse().unwrap());
        if let Some(o) = origin {
            h.insert(header::ORIGIN, o.parse().unwrap());
        }
        Checker::new(policy, "deskpc").verdict(&h).is_ok()
    }

    /// The host's own pages, the window, local pages and non-browser clients pass; other sites
    /// and rebinding names do not, unless the host allowed them.
    #[test]
    fn origins_and_hosts() {
        let none = OriginPolicy::default();
        let cases = [
            ("192.168.1.20:7878", None, true),
            ("192.168.1.20:7878", Some("http://192.168.1.20:7878"), true),
            ("[fe80::1]:7878", Some("http://[fe80::1]:7878"), true),
            ("127.0.0.1:7878", Some("http://localhost:1420"), true),
            ("127.0.0.1:7878", Some("tauri://localhost"), true),
            ("deskpc.local:7878", Some("http://deskpc.local:7878"), true),
            ("192.168.1.20:7878", Some("https://evil.example"), false),
            ("192.168.1.20:7878", Some("http://192.168.1.20:9999"), false),
            ("192.168.1.20:7878", Some("null"), false),
            ("evil.example:7878", None, false),
            ("evil.example:7878", Some("http://evil.example:7878"), false),
        ];
        for (host, origin, ok) in cases {
            assert_eq!(verdict(none.clone(), host, origin), ok, "{host} {origin:?}");
        }
        let open = OriginPolicy {
            allowed_origins: vec!["https://intranet.example".into()],
            allowed_hosts: vec!["chat.example".into()],
        };
        assert!(verdict(
            open.clone(),
            "1.2.3.4",
            Some("https://intranet.example")
        ));
        assert!(verdict(
            open,
            "chat.example:7878",
            Some("http://chat.example:7878")
        ));
    }

    /// In a cluster, node B takes the sockets of a page node A served (its guests move there
    /// when A dies); a page from an address that is not a node still may not.
    #[test]
    fn pages_of_the_cluster_s_other_nodes() {
        let peers: Peers = Arc::new(|| {
            vec![
                "http://192.168.1.20:7878".into(),
                "http://192.168.1.21:7878/".into(),
            ]
        });
        let checker = Checker::new(OriginPolicy::default(), "deskpc").with_peers(peers);
        let verdict = |host: &str, origin: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::HOST, host.parse().unwrap());
            h.insert(header::ORIGIN, origin.parse().unwrap());
            checker.verdict(&h).is_ok()
        };
        assert!(verdict("192.168.1.21:7878", "http://192.168.1.20:7878"));
        assert!(verdict("192.168.1.20:7878", "https://192.168.1.21:7878"));
        assert!(!verdict("192.168.1.21:7878", "http://192.168.1.22:7878"));
        assert!(!verdict("192.168.1.21:7878", "http://192.168.1.20:9999"));
        assert!(!verdict("192.168.1.21:7878", "tauri2://192.168.1.20:7878"));
        // A single host has no peers: unchanged.
        let single = Checker::new(OriginPolicy::default(), "deskpc").with_peers(Arc::new(Vec::new));
        let mut h = HeaderMap::new();
        h.insert(header::HOST, "192.168.1.21:7878".parse().unwrap());
        h.insert(header::ORIGIN, "http://192.168.1.20:7878".parse().unwrap());
        assert!(single.verdict(&h).is_err());
    }
}
