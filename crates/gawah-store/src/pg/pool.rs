//! A small pool of plain threads, each holding one PostgreSQL connection.
//!
//! Why threads and not an async pool: the [`Store`](crate::Store) traits are synchronous and
//! are called both from plain threads (the CLI) and from the web server's tokio threads. The
//! synchronous `postgres::Client` drives its own little runtime with `block_on`, which panics
//! on a thread that is inside another runtime. So no caller ever touches a `Client`: it sends
//! a closure to a worker thread over a channel and waits for the answer on a std channel.
//! Each worker owns its connection for its whole life and opens it again, on its next job,
//! after it broke.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use postgres::{Client, NoTls};

use super::error::from_pg;
use crate::error::StoreError;

/// A connection idle for longer than this is checked (an empty query) before it is used:
/// after a server restart or a failover every idle connection is dead, and finding that out
/// on an empty query instead of on the caller's statement keeps the caller's request alive.
const IDLE_CHECK: Duration = Duration::from_secs(1);
/// How long that check may take before the connection is given up and opened again.
const CHECK_TIMEOUT: Duration = Duration::from_secs(5);

/// One worker's connection, opened on demand.
pub(crate) struct Session {
    config: postgres::Config,
    client: Option<Client>,
    last_used: Instant,
}

impl Session {
    /// The connection, opened (again) if there is none, it was closed, or it does not answer
    /// after being idle.
    pub(crate) fn client(&mut self) -> Result<&mut Client, StoreError> {
        let idle = self.last_used.elapsed() > IDLE_CHECK;
        let stale = match &mut self.client {
            Some(c) => c.is_closed() || (idle && c.is_valid(CHECK_TIMEOUT).is_err()),
            None => true,
        };
        if stale {
            self.client = None;
            self.client = Some(self.config.connect(NoTls).map_err(from_pg)?);
        }
        self.last_used = Instant::now();
        self.client
            .as_mut()
            .ok_or_else(|| StoreError::Unavailable("no connection".into()))
    }

    /// Forgets a connection whose state is unknown (lost, or left by a panicking job).
    fn discard(&mut self) {
        self.client = None;
    }
}

type Job = Box<dyn FnOnce(&mut Session) + Send>;

/// Worker threads, each with its own connection; dropping the pool closes them all.
pub(crate) struct Pool {
    jobs: Option<mpsc::Sender<Job>>,
    workers: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("workers", &self.workers.len())
            .finish()
    }
}

impl Pool {
    /// Starts `workers` threads; none connects before its first job.
    pub(crate) fn new(config: postgres::Config, workers: usize) -> Result<Self, StoreError> {
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        let mut handles = Vec::with_capacity(workers);
        for n in 0..workers.max(1) {
            let rx = Arc::clone(&rx);
            let session = Session {
                config: config.clone(),
                client: None,
                last_used: Instant::now(),
            };
            let handle = thread::Builder::new()
                .name(format!("gawah-pg-{n}"))
                .spawn(move || work(&rx, session))
                .map_err(|e| StoreError::Database(format!("starting a database thread: {e}")))?;
            handles.push(handle);
        }
        Ok(Self {
            jobs: Some(tx),
            workers: handles,
        })
    }

    /// Runs `job` on a worker's session and waits for its result. A panicking job is an
    /// error, and its connection (in an unknown state) is replaced.
    fn run<R, F>(&self, job: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&mut Session) -> Result<R, StoreError> + Send + 'static,
    {
        let (tx, rx) = mpsc::sync_channel(1);
        let job: Job = Box::new(move |session: &mut Session| {
            let result = catch_unwind(AssertUnwindSafe(|| job(session))).unwrap_or_else(|_| {
                session.discard();
                Err(StoreError::Database("a database job panicked".into()))
            });
            if matches!(&result, Err(StoreError::Unavailable(_))) {
                session.discard();
            }
            let _ = tx.send(result);
        });
        let stopped = || StoreError::Database("the database threads have stopped".into());
        self.jobs
            .as_ref()
            .ok_or_else(stopped)?
            .send(job)
            .map_err(|_| stopped())?;
        rx.recv().map_err(|_| stopped())?
    }

    /// Runs a read, which is safe to repeat: a read that lost its connection is run once
    /// more on a new one.
    pub(crate) fn read<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: Fn(&mut Client) -> Result<R, StoreError> + Send + 'static,
    {
        self.run(move |session| match f(session.client()?) {
            Err(StoreError::Unavailable(_)) => {
                session.discard();
                f(session.client()?)
            }
            other => other,
        })
    }

    /// Runs `f` inside BEGIN ... COMMIT (ROLLBACK if it fails). If the connection turns
    /// out to be dead at BEGIN (nothing was done yet), it is opened again and BEGIN repeated,
    /// once; a failure after that is returned, never repeated: after a lost COMMIT the
    /// outcome is unknown. `f` must return every statement's error (an aborted transaction
    /// would otherwise "commit" as a rollback).
    pub(crate) fn transaction<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&mut Client) -> Result<R, StoreError> + Send + 'static,
    {
        self.run(move |session| {
            if let Err(e) = session.client()?.batch_execute("BEGIN").map_err(from_pg) {
                if !matches!(e, StoreError::Unavailable(_)) {
                    return Err(e);
                }
                session.discard();
                session.client()?.batch_execute("BEGIN").map_err(from_pg)?;
            }
            // The connection that began, as it is: reopening it here would lose the BEGIN.
            let client = session
                .client
                .as_mut()
                .ok_or_else(|| StoreError::Unavailable("no connection".into()))?;
            match f(client) {
                Ok(result) => {
                    client.batch_execute("COMMIT").map_err(from_pg)?;
                    Ok(result)
                }
                Err(e) => {
                    // Lost with the connection if it is gone: the server rolls back then.
                    let _ = client.batch_execute("ROLLBACK");
                    Err(e)
                }
            }
        })
    }
}

fn work(rx: &Mutex<mpsc::Receiver<Job>>, mut session: Session) {
    loop {
        let job = {
            let rx = rx.lock().unwrap_or_else(|p| p.into_inner());
            rx.recv()
        };
        match job {
            Ok(job) => job(&mut session),
            Err(_) => return, // the pool was dropped
        }
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        // Closing the channel ends every worker after its current job; joining them closes
        // their connections before the store is gone (a test may then drop its database).
        self.jobs = None;
        for handle in self.workers.drain(..) {
            let _ = handle.join();
        }
    }
}
