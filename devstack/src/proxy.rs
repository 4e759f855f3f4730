//! A round-robin HTTP proxy (Debian's nginx) in front of several app replicas, as a load
//! balancer in front of a real deployment: each request to the next replica, the client's
//! address appended to `X-Forwarded-For`.

use std::io;
use std::process::{Command, Stdio};
use std::time::Duration;

use nix::sys::signal::Signal;

use crate::process::{Child, free_port, spawn_installed, wait_until};

pub struct RoundRobin {
    port: u16,
    server: Child,
    /// nginx's prefix: its configuration, logs and temporary files.
    _dir: TempDir,
}

/// A directory removed when dropped.
struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `$NGINX`, or nginx from PATH or /usr/sbin (not on every user's PATH).
fn program() -> String {
    std::env::var("NGINX").unwrap_or_else(|_| {
        let sbin = "/usr/sbin/nginx";
        if std::path::Path::new(sbin).exists() {
            sbin.into()
        } else {
            "nginx".into()
        }
    })
}

fn config(port: u16, upstreams: &[String]) -> String {
    let servers: String = upstreams
        .iter()
        .map(|u| format!("        server {u} max_fails=0;\n"))
        .collect();
    // One process (no master): it is tied to ours and stops with it. `max_fails=0`: a replica
    // that failed once keeps its turn, so the tests see plain round-robin.
    format!(
        "daemon off;
master_process off;
worker_processes 1;
pid nginx.pid;
error_log stderr warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path tmp;
    proxy_temp_path tmp;
    fastcgi_temp_path tmp;
    uwsgi_temp_path tmp;
    scgi_temp_path tmp;
    upstream replicas {{
{servers}    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://replicas;
            proxy_http_version 1.1;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_next_upstream off;
        }}
    }}
}}
"
    )
}

impl RoundRobin {
    /// Starts nginx on a free port in front of `upstreams` (`host:port` each).
    pub async fn start(upstreams: &[String]) -> io::Result<RoundRobin> {
        let port = free_port()?;
        let dir = TempDir(
            std::env::temp_dir().join(format!("devstack-nginx-{}-{port}", std::process::id())),
        );
        std::fs::create_dir_all(dir.0.join("tmp"))?;
        let conf = dir.0.join("nginx.conf");
        std::fs::write(&conf, config(port, upstreams))?;
        let mut cmd = Command::new(program());
        cmd.arg("-p")
            .arg(&dir.0)
            .arg("-c")
            .arg(&conf)
            .arg("-e")
            .arg("stderr")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        let install = "install it with `apt-get install nginx` (or set NGINX)";
        let server = spawn_installed(cmd, Signal::SIGTERM, install)?;
        let proxy = RoundRobin {
            port,
            server,
            _dir: dir,
        };
        let listening = || async move {
            tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
        };
        if !wait_until(&proxy.server, Duration::from_secs(20), listening).await {
            return Err(io::Error::other(format!(
                "nginx did not listen on port {port}"
            )));
        }
        Ok(proxy)
    }

    /// The address clients use: `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for RoundRobin {
    fn drop(&mut self) {
        self.server.stop(&[
            (Signal::SIGQUIT, Duration::from_secs(5)),
            (Signal::SIGKILL, Duration::from_secs(5)),
        ]);
    }
}
