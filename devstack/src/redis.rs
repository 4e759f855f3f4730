//! A private Redis server (Debian's `redis-server`) for what the app's replicas share: nothing
//! persisted, loopback only, gone with this process.

use std::io;
use std::process::{Command, Stdio};
use std::time::Duration;

use nix::sys::signal::Signal;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::process::{Child, free_port, spawn_installed, wait_until};

pub struct RedisServer {
    port: u16,
    server: Child,
}

/// `$REDIS_SERVER`, or `redis-server` from PATH.
fn program() -> String {
    std::env::var("REDIS_SERVER").unwrap_or_else(|_| "redis-server".into())
}

impl RedisServer {
    /// Starts a server on `port` (or a free one) and waits until it answers.
    pub async fn start(port: Option<u16>) -> io::Result<RedisServer> {
        let port = match port {
            Some(port) => port,
            None => free_port()?,
        };
        let mut cmd = Command::new(program());
        cmd.args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            // A cache of moments-long state: nothing to keep across restarts.
            .args(["--save", "", "--appendonly", "no", "--dir"])
            .arg(std::env::temp_dir())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        let install = "install it with `apt-get install redis-server` (or set REDIS_SERVER)";
        let server = spawn_installed(cmd, Signal::SIGTERM, install)?;
        let redis = RedisServer { port, server };
        if !wait_until(&redis.server, Duration::from_secs(20), || ping(port)).await {
            return Err(io::Error::other(format!(
                "redis-server did not answer on port {port}"
            )));
        }
        Ok(redis)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// What the app's REDIS_URL should be.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Stops the server (its state goes with it).
    pub fn stop(&mut self) {
        self.server.stop(&[
            (Signal::SIGTERM, Duration::from_secs(10)),
            (Signal::SIGKILL, Duration::from_secs(5)),
        ]);
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Whether a Redis server answers PING on `port`.
pub async fn ping(port: u16) -> bool {
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
        stream.write_all(b"PING\r\n").await?;
        let mut answer = [0u8; 7];
        stream.read_exact(&mut answer).await?;
        io::Result::Ok(&answer == b"+PONG\r\n")
    };
    matches!(
        tokio::time::timeout(Duration::from_secs(1), exchange).await,
        Ok(Ok(true))
    )
}
