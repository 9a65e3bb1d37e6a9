//! Progress of the scale-out tests' clients: the uploads acknowledged so far, awaited on a
//! channel with a bound, and a stop flag that ends a client's back-off at once.

use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use crate::client::Ack;

/// Longest any awaited progress may take (uploads acknowledged, a backend back).
pub const BOUND: Duration = Duration::from_secs(180);

/// Waits until a client reports at least `at_least` acknowledged uploads in all.
pub fn wait_acks(rx: &Receiver<usize>, at_least: usize, what: &str) {
    let deadline = Instant::now() + BOUND;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(n) if n >= at_least => return,
            Ok(_) => {}
            Err(e) => panic!("{what}: fewer than {at_least} uploads acknowledged ({e})"),
        }
    }
}

/// Uploads acknowledged so far, and the channel telling their running count.
pub struct Acks {
    all: Mutex<Vec<Ack>>,
}

impl Acks {
    pub fn new() -> Self {
        Self {
            all: Mutex::new(Vec::new()),
        }
    }

    pub fn push(&self, ack: Ack, tx: &Sender<usize>) {
        let mut all = self.all.lock().unwrap_or_else(|p| p.into_inner());
        all.push(ack);
        let _ = tx.send(all.len());
    }

    pub fn len(&self) -> usize {
        self.all.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    pub fn take(self) -> Vec<Ack> {
        self.all.into_inner().unwrap_or_else(|p| p.into_inner())
    }
}

/// A flag that clients check between uploads and wait on while backing off, so that a
/// back-off ends at once when the test says stop.
pub struct Stop {
    set: Mutex<bool>,
    changed: Condvar,
}

impl Stop {
    pub fn new() -> Self {
        Self {
            set: Mutex::new(false),
            changed: Condvar::new(),
        }
    }

    pub fn set(&self) {
        *self.set.lock().unwrap_or_else(|p| p.into_inner()) = true;
        self.changed.notify_all();
    }

    pub fn is_set(&self) -> bool {
        *self.set.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits up to `d` or until set; whether it is set.
    pub fn wait(&self, d: Duration) -> bool {
        let set = self.set.lock().unwrap_or_else(|p| p.into_inner());
        let (set, _) = self
            .changed
            .wait_timeout_while(set, d, |s| !*s)
            .unwrap_or_else(|p| p.into_inner());
        *set
    }
}
