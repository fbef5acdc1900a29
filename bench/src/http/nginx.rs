//! nginx as the `http` suite's reference server: finding the binary, writing its
//! configuration into a private prefix directory, and starting it pinned to the servers'
//! CPU on a free loopback port.
//!
//! The configuration is the one a user comparing static-file servers would write:
//! `worker_processes 1`, `sendfile on`, `tcp_nopush on`, `open_file_cache`, no access log.
//! `master_process off` and `daemon off` keep nginx to one process, the child this suite
//! spawned, so `/proc/<pid>/stat` holds all the CPU it spends. Everything nginx writes
//! (pid file, error log, temp directories) goes under the prefix directory, so it runs
//! as any user and never reads or writes `/etc/nginx` or `/var/lib/nginx`.

use std::io;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The environment variable that overrides the search: a path to an nginx binary, or
/// `none` to leave nginx out.
pub const ENV: &str = "CORIO_BENCH_NGINX";

/// Ports tried before giving up (another process may take the one picked).
const PORT_TRIES: usize = 5;
/// How long nginx may take to start accepting.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// Where the nginx binary is, or why the suite runs without it (the table prints this).
pub fn find() -> Result<PathBuf, String> {
    if let Some(v) = std::env::var_os(ENV) {
        if v == "none" || v.is_empty() {
            return Err(format!("skipped ({ENV}=none)"));
        }
        let path = PathBuf::from(v);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(format!("skipped ({ENV}={} is not a file)", path.display()))
        };
    }
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default();
    let fixed = ["/usr/sbin", "/usr/local/sbin", "/usr/local/nginx/sbin"].map(PathBuf::from);
    on_path
        .into_iter()
        .chain(fixed)
        .map(|dir| dir.join("nginx"))
        .find(|p| p.is_file())
        .ok_or_else(|| "skipped (not installed: apt-get install nginx)".to_string())
}

/// A configured nginx: its binary, its private prefix directory and the root it serves.
pub struct Nginx {
    binary: PathBuf,
    prefix: PathBuf,
    root: PathBuf,
    /// The `*_temp_path` directives this build knows (a module built out rejects its own).
    temp_paths: Vec<&'static str>,
    /// The CPU nginx is pinned to (none on a one-core machine).
    cpu: Option<usize>,
}

impl Nginx {
    /// Prepares a prefix directory for `binary` serving `root`, to be pinned to `cpu`.
    pub fn new(binary: PathBuf, root: &Path, cpu: Option<usize>) -> io::Result<Nginx> {
        let version = Command::new(&binary).arg("-V").output()?;
        // `nginx -V` writes its version and configure arguments to stderr.
        let built = String::from_utf8_lossy(&version.stderr).into_owned();
        if !built.contains("nginx version") {
            return Err(io::Error::other(format!(
                "{} -V printed no nginx version: {built:?}",
                binary.display()
            )));
        }
        let temp_paths = [
            ("client_body_temp_path", ""),
            ("proxy_temp_path", "--without-http_proxy_module"),
            ("fastcgi_temp_path", "--without-http_fastcgi_module"),
            ("uwsgi_temp_path", "--without-http_uwsgi_module"),
            ("scgi_temp_path", "--without-http_scgi_module"),
        ]
        .into_iter()
        .filter(|(_, without)| without.is_empty() || !built.contains(without))
        .map(|(directive, _)| directive)
        .collect();
        let prefix = std::env::temp_dir().join(format!("corio-bench-nginx-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&prefix);
        std::fs::create_dir_all(&prefix)?;
        Ok(Nginx {
            binary,
            prefix,
            root: root.to_path_buf(),
            temp_paths,
            cpu,
        })
    }

    /// `nginx -v`'s version, e.g. `nginx/1.22.1`, for the report.
    pub fn version(&self) -> String {
        Command::new(&self.binary)
            .arg("-v")
            .output()
            .ok()
            .and_then(|o| {
                let text = String::from_utf8_lossy(&o.stderr).into_owned();
                text.trim()
                    .strip_prefix("nginx version: ")
                    .map(str::to_string)
            })
            .unwrap_or_else(|| "nginx (unknown version)".into())
    }

    /// The configuration file's text for a server on `port`.
    pub fn config(&self, port: u16) -> String {
        let p = self.prefix.display();
        let temp: String = self
            .temp_paths
            .iter()
            .map(|d| format!("    {d} {p}/{};\n", d.trim_end_matches("_temp_path")))
            .collect();
        format!(
            "worker_processes 1;\n\
             daemon off;\n\
             master_process off;\n\
             pid {p}/nginx.pid;\n\
             error_log {p}/error.log;\n\
             events {{\n    worker_connections 1024;\n}}\n\
             http {{\n\
             \x20   access_log off;\n\
             \x20   sendfile on;\n\
             \x20   tcp_nopush on;\n\
             \x20   open_file_cache max=1000 inactive=20s;\n\
             \x20   open_file_cache_valid 1s;\n\
             \x20   types {{\n        text/html html;\n    }}\n\
             \x20   default_type application/octet-stream;\n\
             {temp}\
             \x20   server {{\n\
             \x20       listen 127.0.0.1:{port};\n\
             \x20       root {};\n\
             \x20   }}\n\
             }}\n",
            self.root.display(),
        )
    }

    /// Starts nginx on a free loopback port; returns the child once it accepts.
    ///
    /// The port is found by binding `127.0.0.1:0` and closing; when another process
    /// takes it first, nginx logs a failed `bind()` and the next port is tried.
    pub fn start(&self) -> io::Result<(Child, SocketAddr)> {
        let mut last = String::new();
        for _ in 0..PORT_TRIES {
            let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?
                .local_addr()?
                .port();
            match self.start_on(port)? {
                Ok(started) => return Ok(started),
                Err(log) => last = log,
            }
        }
        Err(io::Error::other(format!(
            "nginx could not bind a port in {PORT_TRIES} tries; last error log:\n{last}"
        )))
    }

    /// One try on `port`: `Ok(Err(log))` when the port was taken, to try another.
    fn start_on(&self, port: u16) -> io::Result<Result<(Child, SocketAddr), String>> {
        let conf = self.prefix.join("nginx.conf");
        let log = self.prefix.join("error.log");
        std::fs::write(&conf, self.config(port))?;
        let _ = std::fs::remove_file(&log);
        let mut cmd = Command::new(&self.binary);
        cmd.arg("-p")
            .arg(&self.prefix)
            .arg("-c")
            .arg(&conf)
            .arg("-e")
            .arg(&log)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some(cpu) = self.cpu {
            // SAFETY: pre_exec runs in the forked child before exec; sched_setaffinity
            // is async-signal-safe and reads only the local set built here.
            unsafe {
                cmd.pre_exec(move || {
                    let mut set: libc::cpu_set_t = std::mem::zeroed();
                    libc::CPU_SET(cpu, &mut set);
                    if libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) != 0
                    {
                        return Err(io::Error::last_os_error());
                    }
                    Ok(())
                });
            }
        }
        let mut child = cmd.spawn()?;
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            let bind_failed = text.contains("bind() to");
            let exited = child.try_wait()?;
            if bind_failed || exited.is_some() {
                crate::proc_stats::stop(&mut child);
                if bind_failed {
                    return Ok(Err(text));
                }
                return Err(io::Error::other(format!(
                    "nginx exited at start ({}); error log {}:\n{text}",
                    exited.map_or_else(String::new, |s| s.to_string()),
                    log.display()
                )));
            }
            if TcpStream::connect(addr).is_ok() {
                return Ok(Ok((child, addr)));
            }
            if Instant::now() > deadline {
                crate::proc_stats::stop(&mut child);
                return Err(io::Error::other(format!(
                    "nginx did not accept on {addr} within {START_TIMEOUT:?}; error log:\n{text}"
                )));
            }
            // nginx says nothing when it is ready: poll until the port accepts.
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.prefix);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_has_the_issue_settings_and_private_paths() {
        let nginx = Nginx {
            binary: PathBuf::from("/usr/sbin/nginx"),
            prefix: PathBuf::from("/tmp/p"),
            root: PathBuf::from("/tmp/r"),
            temp_paths: vec!["client_body_temp_path", "proxy_temp_path"],
            cpu: None,
        };
        let conf = nginx.config(8123);
        for line in [
            "worker_processes 1;",
            "daemon off;",
            "master_process off;",
            "pid /tmp/p/nginx.pid;",
            "error_log /tmp/p/error.log;",
            "access_log off;",
            "sendfile on;",
            "tcp_nopush on;",
            "open_file_cache max=1000 inactive=20s;",
            "open_file_cache_valid 1s;",
            "client_body_temp_path /tmp/p/client_body;",
            "proxy_temp_path /tmp/p/proxy;",
            "listen 127.0.0.1:8123;",
            "root /tmp/r;",
        ] {
            assert!(
                conf.lines().any(|l| l.trim() == line),
                "{line:?} missing from\n{conf}"
            );
        }
        assert!(!conf.contains("/etc/nginx") && !conf.contains("/var/"));
    }

    #[test]
    fn env_none_skips_with_the_reason() {
        // The only test in this crate that sets the variable, so no other test races it.
        std::env::set_var(ENV, "none");
        let found = find();
        std::env::remove_var(ENV);
        assert_eq!(found, Err(format!("skipped ({ENV}=none)")));
    }
}
