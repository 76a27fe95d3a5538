//! Looking for hosts: [`Hosts`], the table of `_lanchat._tcp` instances seen on the LAN (pure,
//! so its rules are tested without a network); [`Browser`], which feeds it from mdns-sd; and
//! [`discover`], one look of a few seconds for `lanchat discover`.

use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::time::Duration;

use mdns_sd::{ResolvedService, ServiceDaemon, ServiceEvent};

use super::record::Record;
use super::scope::{self, Scope};
use super::{DiscoveryError, FoundHost, SERVICE_TYPE};

/// One resolved announcement, as mdns-sd delivers it (our own shape, so tests can make them).
#[derive(Debug, Clone)]
pub struct Seen {
    pub fullname: String,
    pub port: u16,
    pub addresses: Vec<Ipv4Addr>,
    pub txt: HashMap<String, String>,
}

/// A change to the list of hosts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A host appeared, or its record changed (people, password, addresses).
    Up(FoundHost),
    /// A host said goodbye (or its records expired).
    Down(FoundHost),
}

/// The hosts found so far, by instance.
#[derive(Debug, Default)]
pub struct Hosts {
    by_id: HashMap<String, FoundHost>,
}

impl Hosts {
    /// Takes in a resolved announcement; `ours` are this computer's subnets (address, mask),
    /// to offer the address on one of them first. `None` when nothing changed, or when the
    /// host gave no IPv4 address we could use (then it is forgotten).
    pub fn seen(&mut self, s: Seen, ours: &[(Ipv4Addr, Ipv4Addr)]) -> Option<Change> {
        let addresses = scope::rank(s.addresses, ours);
        let Some(best) = addresses.first() else {
            return self.gone(&s.fullname);
        };
        let address = format!("{best}:{}", s.port);
        let record = Record::from_txt(&s.txt);
        let host = FoundHost {
            id: s.fullname.clone(),
            name: if record.name.is_empty() {
                address.clone()
            } else {
                record.name
            },
            address,
            addresses: addresses.iter().map(ToString::to_string).collect(),
            port: s.port,
            version: record.version,
            password_required: record.password_required,
            people: record.people,
            fingerprint: record.fingerprint,
        };
        if self.by_id.get(&s.fullname) == Some(&host) {
            return None;
        }
        self.by_id.insert(s.fullname, host.clone());
        Some(Change::Up(host))
    }

    /// A host withdrew; `None` if we did not know it.
    pub fn gone(&mut self, fullname: &str) -> Option<Change> {
        self.by_id.remove(fullname).map(Change::Down)
    }

    /// Every host, by name (then address), as lists show them.
    pub fn list(&self) -> Vec<FoundHost> {
        let mut v: Vec<FoundHost> = self.by_id.values().cloned().collect();
        v.sort_by(|a, b| {
            (a.name.to_lowercase(), &a.address, &a.id).cmp(&(
                b.name.to_lowercase(),
                &b.address,
                &b.id,
            ))
        });
        v
    }
}

/// A running browse on the LAN's interfaces. Dropping it stops the mDNS daemon.
pub struct Browser {
    daemon: ServiceDaemon,
    events: mdns_sd::Receiver<ServiceEvent>,
    hosts: Hosts,
}

impl Browser {
    /// Starts browsing for `_lanchat._tcp` on the LAN interfaces (never loopback, containers
    /// or VPNs). Fails when [`super::ENV_NO_DISCOVERY`] is set or mDNS cannot start.
    pub fn start() -> Result<Browser, DiscoveryError> {
        super::browse_allowed()?;
        let daemon = ServiceDaemon::new()?;
        let events = Scope::Lan
            .apply(&daemon)
            .and_then(|()| daemon.browse(SERVICE_TYPE));
        match events {
            Ok(events) => Ok(Browser {
                daemon,
                events,
                hosts: Hosts::default(),
            }),
            Err(e) => {
                let _ = daemon.shutdown();
                Err(e.into())
            }
        }
    }

    /// The next change to the list; `None` once the browse has ended (the daemon stopped).
    pub async fn next(&mut self) -> Option<Change> {
        loop {
            let change = match self.events.recv_async().await.ok()? {
                ServiceEvent::ServiceResolved(r) => {
                    self.hosts.seen(seen(&r), &scope::our_subnets())
                }
                ServiceEvent::ServiceRemoved(_, fullname) => self.hosts.gone(&fullname),
                _ => None,
            };
            if change.is_some() {
                return change;
            }
        }
    }

    /// The hosts found so far.
    pub fn hosts(&self) -> Vec<FoundHost> {
        self.hosts.list()
    }

    /// Calls `on_list` with the whole list now and after every change, until it returns false
    /// (nobody listens any more) or the browse ends.
    pub async fn watch(mut self, mut on_list: impl FnMut(Vec<FoundHost>) -> bool) {
        if !on_list(self.hosts()) {
            return;
        }
        while self.next().await.is_some() {
            if !on_list(self.hosts()) {
                return;
            }
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if let Err(e) = self.daemon.shutdown() {
            tracing::debug!("stopping the mDNS browse: {e}");
        }
    }
}

fn seen(r: &ResolvedService) -> Seen {
    Seen {
        fullname: r.get_fullname().to_owned(),
        port: r.get_port(),
        addresses: r.get_addresses_v4().into_iter().collect(),
        txt: r
            .get_properties()
            .iter()
            .map(|p| (p.key().to_owned(), p.val_str().to_owned()))
            .collect(),
    }
}

/// Browses for `wait` and returns the hosts found by then (those that said goodbye meanwhile
/// left out).
pub async fn discover(wait: Duration) -> Result<Vec<FoundHost>, DiscoveryError> {
    let mut browser = Browser::start()?;
    let deadline = tokio::time::Instant::now() + wait;
    while let Ok(Some(_)) = tokio::time::timeout_at(deadline, browser.next()).await {}
    Ok(browser.hosts())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(name: &str, addrs: &[&str], txt: &[(&str, &str)]) -> Seen {
        Seen {
            fullname: format!("{name}._lanchat._tcp.local."),
            port: 7878,
            addresses: addrs.iter().map(|a| a.parse().unwrap()).collect(),
            txt: txt
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    fn up(c: Option<Change>) -> FoundHost {
        match c {
            Some(Change::Up(h)) => h,
            other => panic!("expected Up, got {other:?}"),
        }
    }

    /// A host appears once, a repeat of the same record changes nothing, a new people count
    /// updates it, and a goodbye removes it.
    #[test]
    fn hosts_appear_update_and_go() {
        let mut hosts = Hosts::default();
        let a = seen(
            "lanchat-a",
            &["10.77.0.1"],
            &[("name", "Room A"), ("people", "1")],
        );
        let h = up(hosts.seen(a.clone(), &[]));
        assert_eq!(h.name, "Room A");
        assert_eq!(h.address, "10.77.0.1:7878");
        assert_eq!(h.people, 1);
        assert_eq!(hosts.seen(a.clone(), &[]), None, "same record, no change");

        let mut more = a.clone();
        more.txt.insert("people".into(), "2".into());
        assert_eq!(up(hosts.seen(more, &[])).people, 2);

        assert!(matches!(hosts.gone(&a.fullname), Some(Change::Down(h)) if h.name == "Room A"));
        assert_eq!(hosts.gone(&a.fullname), None);
        assert!(hosts.list().is_empty());
    }

    /// Two hosts with the same name are two entries (instances are unique), listed by name; a
    /// host with no name shows its address; one with no IPv4 address is not listed.
    #[test]
    fn hosts_are_listed_by_name() {
        let mut hosts = Hosts::default();
        hosts.seen(seen("lanchat-1", &["10.0.0.2"], &[("name", "beta")]), &[]);
        hosts.seen(seen("lanchat-2", &["10.0.0.3"], &[("name", "Alpha")]), &[]);
        hosts.seen(seen("lanchat-3", &["10.0.0.4"], &[("name", "Alpha")]), &[]);
        hosts.seen(seen("lanchat-4", &["10.0.0.5"], &[]), &[]);
        assert_eq!(
            hosts.seen(seen("lanchat-5", &[], &[("name", "v6 only")]), &[]),
            None
        );
        let names: Vec<String> = hosts.list().into_iter().map(|h| h.name).collect();
        assert_eq!(names, ["10.0.0.5:7878", "Alpha", "Alpha", "beta"]);
    }

    /// The address offered is the one on our subnet, even if the record lists another first.
    #[test]
    fn the_address_on_our_subnet_is_offered() {
        let mut hosts = Hosts::default();
        let ours = [(
            "192.168.1.7".parse().unwrap(),
            "255.255.255.0".parse().unwrap(),
        )];
        let h = up(hosts.seen(
            seen("lanchat-a", &["172.17.0.1", "192.168.1.20"], &[]),
            &ours,
        ));
        assert_eq!(h.address, "192.168.1.20:7878");
        assert_eq!(h.addresses, ["192.168.1.20", "172.17.0.1"]);
    }
}
