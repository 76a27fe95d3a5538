//! A private LAN for tests: one network namespace per machine, each with a veth `lan0` whose
//! other end sits on a bridge in a namespace of its own, all made by the test and deleted when
//! dropped (a panicking test too). Multicast sent inside crosses real interfaces yet never
//! reaches this machine's network: no interface is added to the root namespace. Needs root and
//! `ip` (iproute2).

use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Machines on one bridge, at 10.77.0.1, 10.77.0.2, … in the order they were named.
pub struct Lan {
    /// `lct<pid>n<k>`: unique per test process and per LAN, so tests can run side by side.
    prefix: String,
    machines: Vec<String>,
    /// Namespaces made so far, deleted on drop (which removes their interfaces too).
    made: Vec<String>,
}

impl Lan {
    /// Why no LAN can be made here, if so: not root, or no `ip`.
    pub fn unavailable() -> Option<String> {
        let uid = std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find_map(|l| l.strip_prefix("Uid:"))
                    .and_then(|l| l.split_whitespace().nth(1).map(str::to_owned))
            })
            .unwrap_or_default();
        if uid != "0" {
            return Some(format!(
                "not root (euid {uid:?}): network namespaces need root"
            ));
        }
        match Command::new("ip").arg("-V").output() {
            Ok(o) if o.status.success() => None,
            _ => Some("no `ip` command (install iproute2)".into()),
        }
    }

    /// Makes the LAN; panics (after deleting what it made) if `ip` refuses.
    pub fn new(machines: &[&str]) -> Lan {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let mut lan = Lan {
            prefix: format!(
                "lct{}n{}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            ),
            machines: machines.iter().map(|m| m.to_string()).collect(),
            made: Vec::new(),
        };
        let sw = lan.made_ns("sw");
        ip(&["-n", &sw, "link", "add", "br0", "type", "bridge"]);
        ip(&["-n", &sw, "link", "set", "br0", "up"]);
        for (i, m) in machines.iter().enumerate() {
            let ns = lan.made_ns(m);
            let port = format!("p{i}");
            // Both ends are created straight in their namespaces.
            ip(&[
                "link", "add", "lan0", "netns", &ns, "type", "veth", "peer", "name", &port,
                "netns", &sw,
            ]);
            ip(&["-n", &sw, "link", "set", &port, "master", "br0"]);
            ip(&["-n", &sw, "link", "set", &port, "up"]);
            let addr = format!("{}/24", lan.addr(m));
            ip(&["-n", &ns, "addr", "add", &addr, "dev", "lan0"]);
            ip(&["-n", &ns, "link", "set", "lan0", "up"]);
            ip(&["-n", &ns, "link", "set", "lo", "up"]);
            ip(&["-n", &ns, "route", "add", "224.0.0.0/4", "dev", "lan0"]);
        }
        lan
    }

    fn made_ns(&mut self, name: &str) -> String {
        let ns = format!("{}-{name}", self.prefix);
        ip(&["netns", "add", &ns]);
        self.made.push(ns.clone());
        ns
    }

    /// A machine's address on the LAN.
    pub fn addr(&self, machine: &str) -> String {
        let i = self
            .machines
            .iter()
            .position(|m| m == machine)
            .unwrap_or_else(|| panic!("no machine {machine} on this LAN"));
        format!("10.77.0.{}", i + 1)
    }

    /// `program` to run on `machine` (inside its namespace).
    pub fn command(&self, machine: &str, program: &str) -> Command {
        let _ = self.addr(machine);
        let mut c = Command::new("ip");
        c.args([
            "netns",
            "exec",
            &format!("{}-{machine}", self.prefix),
            program,
        ]);
        c
    }
}

impl Drop for Lan {
    fn drop(&mut self) {
        for ns in self.made.iter().rev() {
            let out = run(&["netns", "del", ns]);
            if !out.status.success() {
                eprintln!(
                    "could not delete network namespace {ns}: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
        }
    }
}

fn run(args: &[&str]) -> Output {
    Command::new("ip")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("running ip")
}

/// Runs `ip args`, panicking with its error if it fails (the `Lan` being built is dropped on
/// the way out, so what was made is deleted).
fn ip(args: &[&str]) {
    let out = run(args);
    assert!(
        out.status.success(),
        "ip {} failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}
