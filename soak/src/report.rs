//! The soak's figures and verdict: throughput, latency, statuses, the outage, and each user's
//! final list checked against what it was told.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::model::Model;
use crate::users::{Outcome, User};

#[derive(Debug, Clone)]
pub struct Call {
    pub op: &'static str,
    pub outcome: Outcome,
}

impl Call {
    pub fn new(op: &'static str, outcome: Outcome) -> Self {
        Call { op, outcome }
    }

    fn ended(&self) -> Instant {
        self.outcome.at + self.outcome.took
    }
}

/// A fault the soak put the stack through, from when it was asked for until it was over.
#[derive(Debug, Clone)]
pub struct Fault {
    pub name: &'static str,
    pub begun: Instant,
    pub ended: Instant,
    /// It takes the backend away: calls may answer 503 meanwhile (and only 503).
    pub errors_expected: bool,
}

impl Fault {
    /// A fault that began at `begun` and is over now.
    pub fn new(name: &'static str, begun: Instant, errors_expected: bool) -> Self {
        Fault {
            name,
            begun,
            ended: Instant::now(),
            errors_expected,
        }
    }

    /// Whether `call` overlapped it (or the moment after it the app may take to recover).
    fn overlaps(&self, call: &Call) -> bool {
        call.outcome.at < self.ended + RECOVERY && call.ended() > self.begun
    }
}

/// How soon after InsForge is back the app must answer again.
const RECOVERY: Duration = Duration::from_secs(2);
/// No call may take longer than this (the app's request timeout is 30 s, InsForge's 15 s).
const HANG: Duration = Duration::from_secs(16);

pub struct Report {
    calls: Vec<Call>,
    elapsed: Duration,
    faults: Vec<Fault>,
    lost: usize,
    foreign: usize,
    unchecked: usize,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

impl Report {
    pub fn new(calls: Vec<Call>, elapsed: Duration, faults: Vec<Fault>) -> Self {
        Report {
            calls,
            elapsed,
            faults,
            lost: 0,
            foreign: 0,
            unchecked: 0,
        }
    }

    /// The user's final list against what it was told.
    pub async fn check(&mut self, user: &mut User, model: &Model) {
        let deadline = Instant::now() + Duration::from_secs(10);
        let todos = loop {
            match user.list().await {
                (_, Some(todos)) => break Some(todos),
                _ if Instant::now() > deadline => break None,
                _ => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        };
        let Some(todos) = todos else {
            self.unchecked += 1;
            return;
        };
        let own = format!("{} #", user.tag);
        self.foreign += todos.iter().filter(|t| !t.title.starts_with(&own)).count();
        self.lost += model.lost(&todos);
    }

    /// Whether a call overlapped a fault that takes the backend away.
    fn excused(&self, call: &Call) -> bool {
        self.faults
            .iter()
            .any(|f| f.errors_expected && f.overlaps(call))
    }

    /// Prints the figures; whether every check passed.
    pub fn print(&self) -> bool {
        let mut took: Vec<Duration> = self.calls.iter().map(|c| c.outcome.took).collect();
        took.sort_unstable();
        let mut by_status: BTreeMap<u16, usize> = BTreeMap::new();
        let mut by_op: BTreeMap<&str, usize> = BTreeMap::new();
        for call in &self.calls {
            *by_status.entry(call.outcome.status).or_default() += 1;
            *by_op.entry(call.op).or_default() += 1;
        }
        let total = self.calls.len();
        println!(
            "calls: {total} in {:.1} s = {:.0}/s; p50 {}, p99 {}, max {}",
            self.elapsed.as_secs_f64(),
            total as f64 / self.elapsed.as_secs_f64(),
            ms(percentile(&took, 0.5)),
            ms(percentile(&took, 0.99)),
            ms(took.last().copied().unwrap_or_default()),
        );
        println!("by operation: {by_op:?}");
        println!("by status (0: no answer): {by_status:?}");
        let five_xx = self
            .calls
            .iter()
            .filter(|c| c.outcome.status >= 500 || c.outcome.status == 0)
            .filter(|c| !self.excused(c))
            .count();
        let hung = took.iter().filter(|t| **t > HANG).count();
        let mut ok = five_xx == 0 && hung == 0;
        for fault in &self.faults {
            ok &= self.print_fault(fault);
        }
        println!(
            "checked: acknowledged writes lost {}, rows of another user {}, 5xx outside the \
             faults {five_xx}, calls over {} s {hung}, users not checked {}",
            self.lost,
            self.foreign,
            HANG.as_secs(),
            self.unchecked
        );
        ok &= self.lost == 0 && self.foreign == 0 && self.unchecked == 0;
        println!("{}", if ok { "PASS" } else { "FAIL" });
        ok
    }

    /// One fault's figures; whether it was answered as it should be (503 only, or nothing
    /// but successes for a fault the app must not notice) and recovered from in time.
    fn print_fault(&self, fault: &Fault) -> bool {
        let during: Vec<&Call> = self.calls.iter().filter(|c| fault.overlaps(c)).collect();
        let mut statuses: BTreeMap<u16, usize> = BTreeMap::new();
        for c in &during {
            *statuses.entry(c.outcome.status).or_default() += 1;
        }
        let slowest = during
            .iter()
            .map(|c| c.outcome.took)
            .max()
            .unwrap_or_default();
        let wrong = during
            .iter()
            .filter(|c| match c.outcome.status {
                200 => false,
                // Another fault's, where they overlap.
                503 => !fault.errors_expected && !self.excused(c),
                _ => true,
            })
            .count();
        let back = self
            .calls
            .iter()
            .filter(|c| c.outcome.at >= fault.ended && c.outcome.status == 200)
            .map(|c| c.ended().duration_since(fault.ended))
            .min();
        println!(
            "{} ({:.1} s): {} calls overlapped it, by status {statuses:?}, slowest {}; first \
             success {} after it was over",
            fault.name,
            fault.ended.duration_since(fault.begun).as_secs_f64(),
            during.len(),
            ms(slowest),
            back.map_or("never".into(), ms),
        );
        wrong == 0 && back.is_some_and(|b| b <= RECOVERY)
    }
}
