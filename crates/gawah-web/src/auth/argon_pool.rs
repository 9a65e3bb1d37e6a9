//! A bounded pool of Argon2 working memory.
//!
//! Every password check needs 19 MiB of Argon2 memory. Allocated afresh per check, under
//! concurrency glibc's malloc keeps those blocks in its per-thread arenas once freed, and the
//! server's resident memory climbed by 19 MiB steps for as long as logins overlapped in new
//! ways (docs/BENCHMARKS.md, "Memory: Argon2 and the allocator"). Here each slot's memory is
//! allocated once, the first time it is needed, and reused for every later hash, so the
//! memory of password hashing never exceeds `slots × 19 MiB`.
//!
//! The pool also bounds how many hashes run at once: a caller that finds every slot taken
//! waits for one to come back. That wait blocks its thread, so callers must be off the async
//! runtime (the web app hashes inside `spawn_blocking`, the CLI is synchronous); a login flood
//! then queues rather than asking for 19 MiB per attempt. The web app first waits for a turn
//! on the async side (`hashing_turn`), so its blocking threads never wait here.

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use argon2::Block;

/// Slots of Argon2 memory, each `blocks` 1 KiB blocks, handed out one caller at a time.
#[derive(Debug)]
pub struct ArgonPool {
    state: Mutex<Slots>,
    returned: Condvar,
    blocks: usize,
}

#[derive(Debug)]
struct Slots {
    /// Memory given back, ready for the next caller.
    free: Vec<Box<[Block]>>,
    /// Slots never used yet, so never allocated.
    unallocated: usize,
    /// Callers waiting for a slot.
    waiting: usize,
    /// Leases outstanding now, and the most ever outstanding at once.
    lent: usize,
    most_lent: usize,
}

/// One slot's memory, lent until dropped; dropping wipes it and gives it back.
#[derive(Debug)]
pub struct Lease<'a> {
    pool: &'a ArgonPool,
    memory: Box<[Block]>,
}

impl ArgonPool {
    /// A pool of `slots` (at least one) slots of `blocks` blocks each. Nothing is allocated
    /// until a slot is first leased.
    pub fn new(slots: usize, blocks: usize) -> Self {
        Self {
            state: Mutex::new(Slots {
                free: Vec::new(),
                unallocated: slots.max(1),
                waiting: 0,
                lent: 0,
                most_lent: 0,
            }),
            returned: Condvar::new(),
            blocks,
        }
    }

    /// How many blocks each slot holds.
    pub fn blocks(&self) -> usize {
        self.blocks
    }

    /// A slot's memory, waiting (blocking the thread) while every slot is lent.
    pub fn lease(&self) -> Lease<'_> {
        let mut state = self.lock();
        loop {
            if let Some(memory) = state.free.pop() {
                state.count_lease();
                return Lease { pool: self, memory };
            }
            if state.unallocated > 0 {
                state.unallocated -= 1;
                state.count_lease();
                // Allocate outside the lock: 19 MiB takes a while to fill, and other callers
                // may be returning memory meanwhile.
                drop(state);
                let memory = vec![Block::new(); self.blocks].into_boxed_slice();
                return Lease { pool: self, memory };
            }
            state.waiting += 1;
            state = self
                .returned
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
            state.waiting -= 1;
        }
    }

    /// How many callers are waiting for a slot (for tests of the bound).
    #[cfg(test)]
    pub fn waiting(&self) -> usize {
        self.lock().waiting
    }

    /// The most leases ever outstanding at once (for tests of the bound).
    #[cfg(test)]
    pub fn most_lent(&self) -> usize {
        self.lock().most_lent
    }

    /// The slots' state. A panic while the lock was held cannot leave it inconsistent (every
    /// update is a single push, pop or counter step), so a poisoned lock is used as it is.
    fn lock(&self) -> MutexGuard<'_, Slots> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Slots {
    fn count_lease(&mut self) {
        self.lent += 1;
        self.most_lent = self.most_lent.max(self.lent);
    }
}

impl Lease<'_> {
    /// The slot's memory.
    pub fn memory(&mut self) -> &mut [Block] {
        &mut self.memory
    }
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        // The last state of a hash stays in the slot until the next one overwrites it; wipe
        // it so that no password-derived memory lingers between logins.
        self.memory.fill(Block::new());
        std::hint::black_box(&self.memory);
        let memory = std::mem::take(&mut self.memory);
        let mut state = self.pool.lock();
        state.free.push(memory);
        state.lent -= 1;
        drop(state);
        self.pool.returned.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::{Duration, Instant};

    fn is_wiped(memory: &[Block]) -> bool {
        memory.iter().all(|b| b.as_ref().iter().all(|&w| w == 0))
    }

    #[test]
    fn memory_is_allocated_once_and_reused() {
        let pool = ArgonPool::new(1, 8);
        let first = {
            let mut lease = pool.lease();
            lease.memory()[3].as_mut()[5] = 0xdead_beef;
            lease.memory().as_ptr()
        };
        let mut again = pool.lease();
        assert_eq!(again.memory().as_ptr(), first, "the same slot comes back");
        assert_eq!(again.memory().len(), 8);
        assert!(is_wiped(again.memory()), "a returned slot is wiped");
    }

    /// N + 3 callers on a pool of N: at most N hold memory at once, and every one gets it.
    /// Each holder stays until every other caller is accounted for (waiting in the pool,
    /// holding, or done), so a pool that let more than N through would show it in the count.
    #[test]
    fn at_most_slots_callers_hold_memory_at_once() {
        const SLOTS: usize = 2;
        const CALLERS: usize = SLOTS + 3;
        let pool = ArgonPool::new(SLOTS, 16);
        let holding = AtomicUsize::new(0);
        let most = AtomicUsize::new(0);
        let done = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..CALLERS {
                s.spawn(|| {
                    let mut lease = pool.lease();
                    let now = holding.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    let deadline = Instant::now() + Duration::from_secs(30);
                    while pool.waiting()
                        + holding.load(Ordering::SeqCst)
                        + done.load(Ordering::SeqCst)
                        < CALLERS
                    {
                        assert!(Instant::now() < deadline, "callers never all arrived");
                        std::thread::yield_now();
                    }
                    assert!(is_wiped(lease.memory()));
                    lease.memory()[0].as_mut()[0] = 1;
                    holding.fetch_sub(1, Ordering::SeqCst);
                    done.fetch_add(1, Ordering::SeqCst);
                });
            }
        });
        assert_eq!(done.load(Ordering::SeqCst), CALLERS);
        assert_eq!(most.load(Ordering::SeqCst), SLOTS);
        assert_eq!(pool.most_lent(), SLOTS);
    }
}
