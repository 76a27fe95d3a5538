//! Where discovery happens: the interfaces a host announces on and a browser listens on (IPv4
//! LAN interfaces, the ones `net` shows people: never loopback, container, VM or VPN adapters),
//! and which of a found host's addresses to offer first.

use std::net::{IpAddr, Ipv4Addr};

use mdns_sd::{IfKind, IfPredicate, ServiceDaemon};

/// The interfaces one mDNS daemon uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every LAN interface ([`crate::net::is_lan_candidate`]), as they come and go.
    Lan,
    /// Only the interface with this address (a host bound to it).
    Address(Ipv4Addr),
}

impl Scope {
    /// Where a server bound to `bind` is announced: everywhere on the LAN for `0.0.0.0` (or
    /// `::`), that interface for a LAN address; `None` for loopback, which the LAN cannot
    /// reach, and for a specific IPv6 address (lanchat announces IPv4 only).
    pub fn for_bind(bind: IpAddr) -> Option<Scope> {
        match bind {
            ip if ip.is_unspecified() => Some(Scope::Lan),
            IpAddr::V4(v4) if !v4.is_loopback() && !v4.is_multicast() => Some(Scope::Address(v4)),
            _ => None,
        }
    }

    /// Restricts `daemon` to this scope. mdns-sd starts on every interface, loopback included,
    /// but sends nothing before a browse or a registration, and applies commands in order: so
    /// calling this first means no packet ever leaves by another interface.
    pub fn apply(self, daemon: &ServiceDaemon) -> mdns_sd::Result<()> {
        daemon.disable_interface(IfKind::All)?;
        let wanted = match self {
            Scope::Lan => {
                IfPredicate::new(|intf| crate::net::is_lan_candidate(&intf.name, intf.ip()))
            }
            Scope::Address(a) => IfPredicate::new(move |intf| intf.ip() == IpAddr::V4(a)),
        };
        daemon.enable_interface(IfKind::Predicate(wanted))
    }
}

/// This computer's LAN subnets: (address, netmask) of each LAN interface.
pub fn our_subnets() -> Vec<(Ipv4Addr, Ipv4Addr)> {
    if_addrs::get_if_addrs()
        .unwrap_or_default()
        .into_iter()
        .filter(|i| crate::net::is_lan_candidate(&i.name, i.ip()))
        .filter_map(|i| match i.addr {
            if_addrs::IfAddr::V4(v4) => Some((v4.ip, v4.netmask)),
            _ => None,
        })
        .collect()
}

/// A host's addresses, best first: those on one of `ours` subnets (reachable directly), then
/// private ones, then the rest; loopback, link-local and duplicates dropped. A host with several
/// interfaces announces each one's address, and mdns-sd cannot say which one reached us
/// (mdns-sd#437), so the subnet is the best hint there is.
pub fn rank(
    found: impl IntoIterator<Item = Ipv4Addr>,
    ours: &[(Ipv4Addr, Ipv4Addr)],
) -> Vec<Ipv4Addr> {
    let on_our_subnet = |ip: Ipv4Addr| {
        ours.iter()
            .any(|(a, mask)| u32::from(ip) & u32::from(*mask) == u32::from(*a) & u32::from(*mask))
    };
    let mut v: Vec<Ipv4Addr> = found
        .into_iter()
        .filter(|ip| !ip.is_loopback() && !ip.is_link_local() && !ip.is_unspecified())
        .collect();
    v.sort_by_key(|ip| (!on_our_subnet(*ip), !ip.is_private(), *ip));
    v.dedup();
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Ipv4Addr {
        s.parse().unwrap()
    }

    /// A host on loopback is not announced; 0.0.0.0 is announced on the LAN; a LAN address on
    /// its own interface only.
    #[test]
    fn the_bind_address_decides_where_to_announce() {
        assert_eq!(Scope::for_bind("127.0.0.1".parse().unwrap()), None);
        assert_eq!(Scope::for_bind("::1".parse().unwrap()), None);
        assert_eq!(
            Scope::for_bind("0.0.0.0".parse().unwrap()),
            Some(Scope::Lan)
        );
        assert_eq!(Scope::for_bind("::".parse().unwrap()), Some(Scope::Lan));
        assert_eq!(
            Scope::for_bind("10.77.0.1".parse().unwrap()),
            Some(Scope::Address(ip("10.77.0.1")))
        );
        assert_eq!(Scope::for_bind("fd00::1".parse().unwrap()), None);
    }

    /// The address on our own subnet is offered first, whatever order the record had.
    #[test]
    fn addresses_on_our_subnet_come_first() {
        let ours = [(ip("192.168.1.7"), ip("255.255.255.0"))];
        let found = [
            ip("172.17.0.1"),
            ip("100.64.3.4"),
            ip("192.168.1.20"),
            ip("127.0.0.1"),
            ip("169.254.1.1"),
            ip("192.168.1.20"),
        ];
        assert_eq!(
            rank(found, &ours),
            vec![ip("192.168.1.20"), ip("172.17.0.1"), ip("100.64.3.4")]
        );
        assert_eq!(rank([ip("10.0.0.2")], &[]), vec![ip("10.0.0.2")]);
    }
}
