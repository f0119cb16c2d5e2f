//! The files `holdpoint setup --system` writes outside holdpoint's home: the systemd
//! units, the tmpfiles.d rule for the socket's directory, and the agents' client
//! configuration. Pure: text from the layout.

use std::path::{Path, PathBuf};

/// Where the system layout puts things, and under which names.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    /// The holdpoint binary the units run (installed where only root can change it).
    pub bin: PathBuf,
    /// holdpoint's home: store, keys, policies, credentials.
    pub home: PathBuf,
    /// The directory of the server's socket.
    pub run_dir: PathBuf,
    /// holdpoint's own OS user (and its group, of the same name).
    pub service_user: String,
    /// The group whose members may connect to the socket: the agents' users.
    pub agents_group: String,
}

/// The server's unit file's name.
pub(crate) const SERVE_UNIT: &str = "holdpoint.service";
/// The gateways' template unit: `holdpoint-gateway@pg.service` runs `holdpoint pg`.
pub(crate) const GATEWAY_UNIT: &str = "holdpoint-gateway@.service";
/// The tmpfiles.d rule that makes the socket's directory at boot.
pub(crate) const TMPFILES: &str = "holdpoint.conf";

impl Layout {
    /// The server's socket.
    pub fn socket(&self) -> PathBuf {
        self.run_dir.join(crate::home::DEFAULT_SOCKET)
    }

    /// `holdpoint.service`: `holdpoint serve` as holdpoint's own user, confined by
    /// systemd as far as a server that listens on TCP and a Unix socket, writes its home
    /// and sends webhooks can be.
    pub fn serve_unit(&self) -> String {
        format!(
            "# Written by `holdpoint setup --system`, which rewrites it when it differs.
[Unit]
Description=holdpoint server: decisions, approvals and the ledger for this machine's agents
After=network.target systemd-tmpfiles-setup.service

[Service]
Type=exec
User={user}
Group={user}
# Nothing secret is in the environment: the store, the keys and the upstream passwords
# are files in the home, which only holdpoint's user can read.
Environment=HOLDPOINT_HOME={home}
ExecStart={bin} serve
Restart=on-failure
RestartSec=2s
TimeoutStopSec=30s
UMask=0077
# Writable: the home, and the socket's directory. That directory is made at boot by
# tmpfiles.d, set-group-id and owned by {group}, so the socket belongs to the agents'
# group without a chown, which the system-call filter below refuses.
ReadWritePaths={home} -{run}
{hardening}
[Install]
WantedBy=multi-user.target
",
            user = self.service_user,
            group = self.agents_group,
            home = self.home.display(),
            run = self.run_dir.display(),
            bin = self.bin.display(),
            hardening = HARDENING,
        )
    }

    /// `holdpoint-gateway@.service`: a proxy (`holdpoint-gateway@pg` runs `holdpoint
    /// pg`, which serves every `[[database]]` of holdpoint.toml), with the same
    /// confinement as the server.
    pub fn gateway_unit(&self) -> String {
        format!(
            "# Written by `holdpoint setup --system`, which rewrites it when it differs.
# holdpoint-gateway@pg.service runs `holdpoint pg`, which serves every [[database]] in
# holdpoint.toml; each one's password is in its password_file, never here. (Or let
# systemd hand it over: LoadCredential=app:/etc/holdpoint/app.password and
# Environment=HOLDPOINT_UPSTREAM_PASSWORD_FILE=%d/app.)
[Unit]
Description=holdpoint gateway (holdpoint %i)
After=network.target {serve}

[Service]
Type=exec
User={user}
Group={user}
Environment=HOLDPOINT_HOME={home}
ExecStart={bin} %i
Restart=on-failure
RestartSec=2s
TimeoutStopSec=30s
UMask=0077
ReadWritePaths={home}
{hardening}
[Install]
WantedBy=multi-user.target
",
            serve = SERVE_UNIT,
            user = self.service_user,
            home = self.home.display(),
            bin = self.bin.display(),
            hardening = HARDENING,
        )
    }

    /// The tmpfiles.d rule: the socket's directory, set-group-id to the agents' group,
    /// which its members may enter and no one else.
    pub fn tmpfiles(&self) -> String {
        format!(
            "# Written by `holdpoint setup --system`: the directory of holdpoint's socket.
d {run} 2750 {user} {group} -
",
            run = self.run_dir.display(),
            user = self.service_user,
            group = self.agents_group,
        )
    }
}

/// What both units confine, with what `systemd-analyze security` asks for: no
/// privileges, a read-only system, no home directories, private /tmp and devices, the
/// kernel's tunables, modules, logs and clock out of reach, only Unix and IP sockets,
/// no namespaces, no writable and executable memory, and system calls a service needs.
const HARDENING: &str = "NoNewPrivileges=yes
CapabilityBoundingSet=
AmbientCapabilities=
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
DevicePolicy=closed
PrivateMounts=yes
PrivateIPC=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
ProtectProc=invisible
ProcSubset=pid
# AF_INET and AF_INET6: the console on 127.0.0.1:7878, webhooks, upstream databases.
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
MemoryDenyWriteExecute=yes
RemoveIPC=yes
KeyringMode=private
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallFilter=~@privileged @resources
SystemCallErrorNumber=EPERM
";

/// The configuration `holdpoint setup --user` writes to an agent's user's
/// `~/.holdpoint/holdpoint.toml`: every decision is the server's, over its socket,
/// with the credential beside it.
pub(crate) fn client_config(socket: &Path) -> String {
    format!(
        "# Written by `holdpoint setup --user`: this user's agents ask holdpoint's server, which
# runs as its own OS user. Their hooks never open a store; if the server cannot be
# reached, every action is refused.
[server]
url = \"unix:{}\"
token_file = \"{CLIENT_TOKEN}\"
",
        socket.display()
    )
}

/// The agent credential's file in the user's `~/.holdpoint`.
pub(crate) const CLIENT_TOKEN: &str = "agent.token";

/// Whether a path can be written into a unit file as it is: no white space, quotes,
/// specifiers (`%`), variables or escapes.
pub(crate) fn plain_path(path: &Path) -> bool {
    path.to_str().is_some_and(|p| {
        p.starts_with('/')
            && p.chars()
                .all(|c| c.is_ascii_alphanumeric() || "/-_.+@:".contains(c))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout() -> Layout {
        Layout {
            bin: PathBuf::from("/usr/local/bin/holdpoint"),
            home: PathBuf::from("/var/lib/holdpoint"),
            run_dir: PathBuf::from("/run/holdpoint"),
            service_user: "holdpoint".to_owned(),
            agents_group: "holdpoint-agents".to_owned(),
        }
    }

    #[test]
    fn units_name_the_layout_and_put_no_secret_in_the_environment() {
        let serve = layout().serve_unit();
        for line in [
            "User=holdpoint",
            "ExecStart=/usr/local/bin/holdpoint serve",
            "ReadWritePaths=/var/lib/holdpoint -/run/holdpoint",
            "Environment=HOLDPOINT_HOME=/var/lib/holdpoint",
            "UMask=0077",
            "NoNewPrivileges=yes",
            "CapabilityBoundingSet=",
        ] {
            assert!(serve.lines().any(|l| l == line), "{line} in\n{serve}");
        }
        let gateway = layout().gateway_unit();
        let environment: Vec<&str> = serve
            .lines()
            .chain(gateway.lines())
            .filter(|l| l.starts_with("Environment="))
            .collect();
        assert!(
            environment
                .iter()
                .all(|l| *l == "Environment=HOLDPOINT_HOME=/var/lib/holdpoint"),
            "{environment:?}"
        );
        assert!(gateway.contains("ExecStart=/usr/local/bin/holdpoint %i\n"));
        assert_eq!(
            layout().tmpfiles().lines().last().unwrap(),
            "d /run/holdpoint 2750 holdpoint holdpoint-agents -"
        );
    }

    #[test]
    fn only_plain_paths_go_into_units() {
        for (path, plain) in [
            ("/usr/local/bin/holdpoint", true),
            ("/opt/holdpoint-1.2/bin/holdpoint", true),
            ("relative/holdpoint", false),
            ("/opt/my tools/holdpoint", false),
            ("/opt/%h/holdpoint", false),
            ("/opt/$HOME/holdpoint", false),
            ("/opt/\"x\"/holdpoint", false),
        ] {
            assert_eq!(plain_path(Path::new(path)), plain, "{path}");
        }
    }
}
