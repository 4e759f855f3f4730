//! Servers the local stack runs as child processes (PostgreSQL, Redis, nginx): started so they
//! cannot outlive this process, and stopped politely, then less so.

use std::io;
use std::net::TcpListener;
use std::process::Command;
use std::sync::{Mutex, mpsc};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::{Pid, User};

/// A running server: its pid, and word of its exit from the thread that waits on it.
#[derive(Debug)]
pub struct Child {
    pid: Pid,
    exited: Mutex<Option<mpsc::Receiver<()>>>,
}

impl Child {
    /// Whether the server has exited (or was stopped).
    pub fn has_exited(&self) -> bool {
        self.exited.lock().map_or(true, |rx| {
            rx.as_ref()
                .is_none_or(|rx| !matches!(rx.try_recv(), Err(mpsc::TryRecvError::Empty)))
        })
    }

    /// Sends each signal in turn, waiting its patience for the server to exit; true once it
    /// has. A server that exited is never signalled: its pid may be another process's by now.
    pub fn stop(&mut self, steps: &[(Signal, Duration)]) -> bool {
        let Some(exited) = self.exited.get_mut().ok().and_then(Option::take) else {
            return true;
        };
        let mut stopped = !matches!(exited.try_recv(), Err(mpsc::TryRecvError::Empty));
        for &(signal, patience) in steps {
            if stopped || kill(self.pid, signal).is_err() {
                break;
            }
            stopped = !matches!(
                exited.recv_timeout(patience),
                Err(mpsc::RecvTimeoutError::Timeout)
            );
        }
        stopped
    }
}

/// Spawns `cmd` (as `run_as`, if given) from a thread that lives exactly as long as the child,
/// with the parent-death signal set, so the child is signalled when this process ends in any
/// way (the signal is tied to the spawning *thread*, hence the dedicated one).
pub fn spawn_tied(
    mut cmd: Command,
    run_as: Option<&User>,
    on_parent_death: Signal,
) -> io::Result<Child> {
    use std::os::unix::process::CommandExt;
    run_as_user(&mut cmd, run_as);
    // SAFETY: the closure runs in the forked child before exec and only makes the
    // async-signal-safe prctl(2) call. std runs it after switching uid, which matters because
    // a credential change clears the parent-death signal.
    unsafe {
        cmd.pre_exec(move || {
            nix::sys::prctl::set_pdeathsig(on_parent_death).map_err(io::Error::from)
        });
    }
    let program = cmd.get_program().to_string_lossy().into_owned();
    let (pid_tx, pid_rx) = mpsc::channel();
    let (exit_tx, exit_rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("child-waiter".into())
        .spawn(move || match cmd.spawn() {
            Ok(mut child) => {
                let _ = pid_tx.send(Ok(child.id()));
                let _ = child.wait();
                let _ = exit_tx.send(());
            }
            Err(e) => {
                let _ = pid_tx.send(Err(e));
            }
        })?;
    let pid = pid_rx
        .recv()
        .map_err(|_| io::Error::other(format!("the thread starting {program} died")))?
        .map_err(|e| io::Error::new(e.kind(), format!("start {program}: {e}")))?;
    let pid =
        i32::try_from(pid).map_err(|_| io::Error::other(format!("pid {pid} out of range")))?;
    Ok(Child {
        pid: Pid::from_raw(pid),
        exited: Mutex::new(Some(exit_rx)),
    })
}

/// Spawns a server the system provides (`spawn_tied`, not as another user), saying how to
/// install it when `program` is not there.
pub fn spawn_installed(cmd: Command, on_parent_death: Signal, install: &str) -> io::Result<Child> {
    let program = cmd.get_program().to_string_lossy().into_owned();
    spawn_tied(cmd, None, on_parent_death).map_err(|e| {
        if e.kind() == io::ErrorKind::NotFound {
            io::Error::new(e.kind(), format!("{program} not found: {install}"))
        } else {
            e
        }
    })
}

/// Runs `cmd` as `user`, if given.
pub fn run_as_user(cmd: &mut Command, user: Option<&User>) {
    use std::os::unix::process::CommandExt;
    if let Some(user) = user {
        // std drops supplementary groups when root switches uid.
        cmd.uid(user.uid.as_raw()).gid(user.gid.as_raw());
    }
}

/// A port nothing listens on right now, on the loopback interface.
pub fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Waits until `ready` says so, the child exits, or `within` passes; true when ready.
pub async fn wait_until<F, Fut>(child: &Child, within: Duration, mut ready: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let started = Instant::now();
    loop {
        if ready().await {
            return true;
        }
        if child.has_exited() || started.elapsed() > within {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
