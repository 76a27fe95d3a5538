//! Which of this computer's addresses to show people who want to join: LAN IPv4 addresses,
//! without loopback, link-local, and the usual virtual/VPN adapters.

use std::net::IpAddr;

/// Interface name prefixes of virtual, container and VPN adapters.
const VIRTUAL_PREFIXES: &[&str] = &[
    "lo",
    "docker",
    "br-",
    "veth",
    "virbr",
    "vmnet",
    "vboxnet",
    "tun",
    "tap",
    "wg",
    "zt",
    "tailscale",
    "utun",
    "cni",
    "flannel",
    "podman",
];

/// Whether an interface should be offered to other people on the LAN.
pub fn is_lan_candidate(name: &str, ip: IpAddr) -> bool {
    let IpAddr::V4(v4) = ip else { return false };
    if v4.is_loopback() || v4.is_link_local() || v4.is_unspecified() || v4.is_multicast() {
        return false;
    }
    !VIRTUAL_PREFIXES.iter().any(|p| name.starts_with(p))
}

/// LAN addresses of this machine, private ranges first.
pub fn lan_addresses() -> Vec<IpAddr> {
    let mut out: Vec<IpAddr> = if_addrs::get_if_addrs()
        .unwrap_or_default()
        .into_iter()
        .filter(|i| is_lan_candidate(&i.name, i.ip()))
        .map(|i| i.ip())
        .collect();
    out.sort_by_key(|ip| match ip {
        IpAddr::V4(v4) => (!v4.is_private(), *ip),
        _ => (true, *ip),
    });
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_and_virtual_adapters_are_skipped() {
        let lan: IpAddr = "192.168.1.20".parse().unwrap();
        assert!(is_lan_candidate("eth0", lan));
        assert!(is_lan_candidate("wlp2s0", lan));
        assert!(!is_lan_candidate("docker0", "172.17.0.1".parse().unwrap()));
        assert!(!is_lan_candidate("lo", "127.0.0.1".parse().unwrap()));
        assert!(!is_lan_candidate(
            "tailscale0",
            "100.64.0.1".parse().unwrap()
        ));
        assert!(!is_lan_candidate("eth0", "169.254.3.4".parse().unwrap()));
        assert!(!is_lan_candidate("eth0", "fe80::1".parse().unwrap()));
    }
}
