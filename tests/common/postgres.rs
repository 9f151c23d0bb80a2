//! A throwaway PostgreSQL cluster for tests: `initdb` in a temporary folder, a free port, run
//! as a user other than root (PostgreSQL refuses root), stopped when dropped. The binaries are
//! Debian's (`/usr/lib/postgresql/N/bin`, which `scripts/test` installs), `IKB_PG_BIN`, or on
//! the PATH. A cluster that cannot start fails the test with the reason.

use std::path::PathBuf;
use std::process::Command;

pub struct Cluster {
    _dir: tempfile::TempDir,
    data: PathBuf,
    sockets: PathBuf,
    bin: PathBuf,
    pub port: u16,
    /// Who runs the server: `None` when the tests do not run as root.
    user: Option<&'static str>,
    databases: std::sync::atomic::AtomicUsize,
}

/// The folder of `initdb`, `pg_ctl` and `createdb`.
fn bin_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("IKB_PG_BIN") {
        return PathBuf::from(dir);
    }
    let mut debian: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|p| p.join("initdb").is_file())
        .collect();
    debian.sort_by_key(|p| {
        p.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
    });
    if let Some(newest) = debian.pop() {
        return newest;
    }
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .find(|d| d.join("initdb").is_file());
    on_path.unwrap_or_else(|| {
        panic!(
            "PostgreSQL is not installed (no initdb under /usr/lib/postgresql/*/bin or on the PATH): run ./scripts/test, which installs Debian's postgresql, or set IKB_PG_BIN"
        )
    })
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

impl Cluster {
    /// initdb and start a cluster; panics with the reason when it cannot.
    pub fn start() -> Cluster {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let user = is_root().then_some("nobody");
        let home = dir.path().join("pg");
        std::fs::create_dir(&home).unwrap();
        if let Some(user) = user {
            // The server's user must reach its folder: the temporary folder is root's.
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
            let status = Command::new("chown")
                .args([user, home.to_str().unwrap()])
                .status()
                .expect("chown runs");
            assert!(status.success(), "chown {user} {} failed", home.display());
        }
        let cluster = Cluster {
            data: home.join("data"),
            sockets: home.clone(),
            _dir: dir,
            bin: bin_dir(),
            port: super::server::free_port(),
            user,
            databases: Default::default(),
        };
        cluster.run_tool(
            "initdb",
            &[
                "-D",
                cluster.data.to_str().unwrap(),
                "-U",
                "ikb",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C",
                // Only the setup skips its fsyncs; the server runs with fsync on.
                "--no-sync",
            ],
        );
        cluster.start_again();
        cluster
    }

    /// Run one of PostgreSQL's tools as the server's user; panics with its output on failure.
    fn run_tool(&self, tool: &str, args: &[&str]) {
        let program = self.bin.join(tool);
        let mut command = match self.user {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(&program);
                c
            }
            None => Command::new(&program),
        };
        let out = command
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
        assert!(
            out.status.success(),
            "{tool} {} failed: {}{}\n{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(self.sockets.join("log")).unwrap_or_default()
        );
    }

    /// Start the server (again, after [`Cluster::stop`]), waiting until it accepts connections.
    pub fn start_again(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=60 -c shared_buffers=16MB",
            self.port,
            self.sockets.display()
        );
        self.run_tool(
            "pg_ctl",
            &[
                "-D",
                self.data.to_str().unwrap(),
                "-o",
                &options,
                "-l",
                self.sockets.join("log").to_str().unwrap(),
                "-w",
                "start",
            ],
        );
    }

    /// Stop the server (fast: connections are closed, committed work is kept).
    pub fn stop(&self) {
        self.run_tool(
            "pg_ctl",
            &[
                "-D",
                self.data.to_str().unwrap(),
                "-m",
                "fast",
                "-w",
                "stop",
            ],
        );
    }

    /// The URL of database `db`.
    pub fn url(&self, db: &str) -> String {
        format!("postgres://ikb@127.0.0.1:{}/{db}", self.port)
    }

    /// A new empty database; its URL.
    pub fn database(&self) -> String {
        let n = self
            .databases
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let name = format!("ikb_test_{n}");
        let out = Command::new(self.bin.join("createdb"))
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-U", "ikb"])
            .arg(&name)
            .output()
            .expect("createdb runs");
        assert!(
            out.status.success(),
            "createdb {name} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        self.url(&name)
    }

    /// Run `sql` on the database at `url`; panics with psql's error.
    pub fn psql(&self, url: &str, sql: &str) -> String {
        let out = Command::new(self.bin.join("psql"))
            .args([url, "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql])
            .output()
            .expect("psql runs");
        assert!(
            out.status.success(),
            "psql {sql}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// The server's log so far (for a failing test's message).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.sockets.join("log")).unwrap_or_default()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let program = self.bin.join("pg_ctl");
        let args = [
            "-D",
            self.data.to_str().unwrap_or(""),
            "-m",
            "immediate",
            "-w",
            "stop",
        ];
        let _ = match self.user {
            Some(user) => Command::new("runuser")
                .args(["-u", user, "--"])
                .arg(&program)
                .args(args)
                .output(),
            None => Command::new(&program).args(args).output(),
        };
    }
}
