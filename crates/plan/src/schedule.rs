//! Schedulers: which transactions may run now, grouped into units of work.
//!
//! [`Graph`] is the parallel scheduler: each transaction waits only for the
//! earlier transactions it shares a key with (a dependency graph, not
//! level-by-level batches). [`Serial`] has the same API and runs one unit at
//! a time in source order; it is the oracle for the parallel one.
//!
//! A **unit** is what one session runs and commits once: one or more
//! transactions in source order. A transaction may join a unit when every
//! transaction it depends on has committed or is earlier in the same unit,
//! so a chain of small transactions on a hot row runs as one unit instead of
//! waiting for a commit between each. Units are bounded by
//! [`Limits`]; a barrier is always a unit of its own.
//!
//! Contract: every execution in which a unit starts only after
//! [`Scheduler::next_unit`] returned it, and its transactions apply in order
//! and commit atomically, leaves the target as serial replay would.

use std::collections::{BTreeSet, HashMap, VecDeque};

use crate::key::{Access, KeyHash};
use crate::keyset::KeySet;

/// A transaction ready for scheduling: its keys, its size, and whatever the
/// caller needs to run it (`T`).
#[derive(Debug, Clone)]
pub struct PlannedTxn<T> {
    /// Source order (the binlog ordinal).
    pub id: u64,
    pub keys: KeySet,
    pub rows: u64,
    pub bytes: u64,
    pub payload: T,
}

/// Bounds of one unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_transactions: usize,
    pub max_rows: u64,
    pub max_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_transactions: 100,
            max_rows: 10_000,
            max_bytes: 4 << 20,
        }
    }
}

/// Identifies a unit handed out by a scheduler.
pub type UnitId = u64;

/// Transactions to run in order on one session and commit once.
#[derive(Debug, Clone)]
pub struct Unit<T> {
    pub id: UnitId,
    pub txns: Vec<PlannedTxn<T>>,
}

impl<T> Unit<T> {
    /// A barrier unit (one transaction that must run alone).
    pub fn is_barrier(&self) -> bool {
        self.txns.iter().any(|t| t.keys.barrier.is_some())
    }
}

/// The common API of the parallel and serial schedulers.
pub trait Scheduler<T> {
    /// Adds the next transaction in source order.
    fn push(&mut self, txn: PlannedTxn<T>);
    /// A unit that may start now, or `None` if nothing can start before a
    /// running unit completes (or nothing is pending).
    fn next_unit(&mut self, limits: &Limits) -> Option<Unit<T>>;
    /// The unit committed.
    fn complete(&mut self, unit: UnitId);
    /// Transactions pushed and not yet completed; callers bound this to bound memory.
    fn pending(&self) -> usize;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Waiting,
    Ready,
    Running(UnitId),
    Done,
}

#[derive(Debug)]
struct Node<T> {
    txn: Option<PlannedTxn<T>>,
    state: State,
    /// Dependencies not yet done.
    waiting_for: usize,
    deps: Vec<u64>,
    dependents: Vec<u64>,
    barrier: bool,
    rows: u64,
    bytes: u64,
    values: Vec<KeyHash>,
    /// Scopes held: (scope, generation when held shared; `None` when exclusive).
    scopes: Vec<(KeyHash, Option<u64>)>,
}

/// Holders of one scope key. `shared` may keep done entries (dropped in
/// batches); `live_shared` counts the pending ones of this generation.
#[derive(Debug, Default)]
struct ScopeState {
    last_exclusive: Option<u64>,
    shared: Vec<u64>,
    live_shared: usize,
    /// Bumped by each exclusive holder, which takes over all shared ones.
    generation: u64,
}

/// The dependency-graph scheduler.
#[derive(Debug)]
pub struct Graph<T> {
    /// Nodes from `base` on, by sequence number; done nodes at the front are dropped.
    nodes: VecDeque<Node<T>>,
    base: u64,
    ready: BTreeSet<u64>,
    last_value: HashMap<KeyHash, u64>,
    scopes: HashMap<KeyHash, ScopeState>,
    last_barrier: Option<u64>,
    units: HashMap<UnitId, Vec<u64>>,
    next_unit_id: UnitId,
    pending: usize,
    /// How far past the first ready transaction a unit looks for more.
    window: usize,
    /// Scopes the transaction being pushed holds (handed to its node).
    held: Vec<(KeyHash, Option<u64>)>,
    next_generation: u64,
}

impl<T> Default for Graph<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Graph<T> {
    pub fn new() -> Self {
        Self {
            nodes: VecDeque::new(),
            base: 0,
            ready: BTreeSet::new(),
            last_value: HashMap::new(),
            scopes: HashMap::new(),
            last_barrier: None,
            units: HashMap::new(),
            next_unit_id: 1,
            pending: 0,
            window: 1024,
            held: vec![],
            next_generation: 0,
        }
    }

    fn node(&self, seq: u64) -> Option<&Node<T>> {
        seq.checked_sub(self.base)
            .and_then(|i| self.nodes.get(i as usize))
    }

    fn node_mut(&mut self, seq: u64) -> Option<&mut Node<T>> {
        seq.checked_sub(self.base)
            .and_then(|i| self.nodes.get_mut(i as usize))
    }

    fn is_done(&self, seq: u64) -> bool {
        self.node(seq).is_none_or(|n| n.state == State::Done)
    }

    /// The dependencies of a new transaction, from the key tables; updates them.
    fn dependencies(&mut self, seq: u64, keys: &KeySet) -> Vec<u64> {
        let mut deps = Vec::new();
        if keys.barrier.is_some() {
            deps.extend((self.base..seq).filter(|&s| !self.is_done(s)));
            // Everything later depends on the barrier, which depends on
            // everything earlier: the key tables can start afresh.
            self.last_value.clear();
            self.scopes.clear();
            self.last_barrier = Some(seq);
            self.held.clear();
            return deps;
        }
        if let Some(b) = self.last_barrier {
            deps.push(b);
        }
        for v in &keys.values {
            if let Some(prev) = self.last_value.insert(*v, seq) {
                deps.push(prev);
            }
        }
        let mut held = Vec::with_capacity(keys.scopes.len());
        for (scope, access) in &keys.scopes {
            // Generations are unique across scopes and across the key
            // tables' resets at barriers, so a holder from an earlier
            // incarnation of a scope never counts against a later one.
            let next_generation = &mut self.next_generation;
            let st = self.scopes.entry(*scope).or_insert_with(|| {
                *next_generation += 1;
                ScopeState {
                    generation: *next_generation,
                    ..ScopeState::default()
                }
            });
            if let Some(x) = st.last_exclusive {
                deps.push(x);
            }
            match access {
                Access::Shared => {
                    st.shared.push(seq);
                    st.live_shared += 1;
                    held.push((*scope, Some(st.generation)));
                }
                Access::Exclusive => {
                    deps.append(&mut st.shared);
                    st.live_shared = 0;
                    self.next_generation += 1;
                    st.generation = self.next_generation;
                    st.last_exclusive = Some(seq);
                    held.push((*scope, None));
                }
            }
        }
        self.held = held;
        deps.sort_unstable();
        deps.dedup();
        deps.retain(|&d| d != seq && !self.is_done(d));
        deps
    }

    /// Forgets the keys of a done node that no pending transaction can conflict with.
    fn forget(&mut self, seq: u64) {
        let Some(node) = self.node_mut(seq) else {
            return;
        };
        let values = std::mem::take(&mut node.values);
        let scopes = std::mem::take(&mut node.scopes);
        for v in values {
            if self.last_value.get(&v) == Some(&seq) {
                self.last_value.remove(&v);
            }
        }
        for (s, generation) in scopes {
            let Some(st) = self.scopes.get_mut(&s) else {
                continue;
            };
            match generation {
                None if st.last_exclusive == Some(seq) => st.last_exclusive = None,
                Some(g) if g == st.generation => st.live_shared -= 1,
                _ => {}
            }
            if st.last_exclusive.is_none() && st.live_shared == 0 {
                self.scopes.remove(&s);
            } else if st.shared.len() > 2 * st.live_shared + 32 {
                // Drop done holders in one pass, amortised over the completions.
                let (base, nodes) = (self.base, &self.nodes);
                st.shared.retain(|&x| {
                    x.checked_sub(base)
                        .and_then(|i| nodes.get(i as usize))
                        .is_some_and(|n| n.state != State::Done)
                });
            }
        }
        if self.last_barrier == Some(seq) {
            self.last_barrier = None;
        }
    }

    /// Drops done nodes from the front (after every member of a unit was forgotten).
    fn drop_done_prefix(&mut self) {
        while self.nodes.front().is_some_and(|n| n.state == State::Done) {
            self.nodes.pop_front();
            self.base += 1;
        }
    }

    /// Nodes and key-table entries held (for memory-bound tests).
    pub fn footprint(&self) -> (usize, usize, usize) {
        (self.nodes.len(), self.last_value.len(), self.scopes.len())
    }
}

impl<T> Scheduler<T> for Graph<T> {
    fn push(&mut self, txn: PlannedTxn<T>) {
        let seq = self.base + self.nodes.len() as u64;
        let deps = self.dependencies(seq, &txn.keys);
        for &d in &deps {
            if let Some(n) = self.node_mut(d) {
                n.dependents.push(seq);
            }
        }
        let state = if deps.is_empty() {
            State::Ready
        } else {
            State::Waiting
        };
        if state == State::Ready {
            self.ready.insert(seq);
        }
        self.nodes.push_back(Node {
            state,
            waiting_for: deps.len(),
            deps,
            dependents: vec![],
            barrier: txn.keys.barrier.is_some(),
            rows: txn.rows,
            bytes: txn.bytes,
            values: txn.keys.values.clone(),
            scopes: std::mem::take(&mut self.held),
            txn: Some(txn),
        });
        self.pending += 1;
    }

    fn next_unit(&mut self, limits: &Limits) -> Option<Unit<T>> {
        let first = *self.ready.iter().next()?;
        let id = self.next_unit_id;
        self.next_unit_id += 1;
        let mut members = vec![first];
        let (mut rows, mut bytes) = {
            let n = self.node(first).expect("ready node");
            (n.rows, n.bytes)
        };
        let first_is_barrier = self.node(first).is_some_and(|n| n.barrier);
        if !first_is_barrier {
            let end = (first + 1 + self.window as u64).min(self.base + self.nodes.len() as u64);
            for seq in first + 1..end {
                if members.len() >= limits.max_transactions {
                    break;
                }
                let n = self.node(seq).expect("in range");
                if n.barrier {
                    break;
                }
                if !matches!(n.state, State::Ready | State::Waiting) {
                    continue;
                }
                if rows + n.rows > limits.max_rows || bytes + n.bytes > limits.max_bytes {
                    break;
                }
                let joinable = n
                    .deps
                    .iter()
                    .all(|&d| self.is_done(d) || members.contains(&d));
                if joinable {
                    rows += n.rows;
                    bytes += n.bytes;
                    members.push(seq);
                }
            }
        }
        let mut txns = Vec::with_capacity(members.len());
        for &seq in &members {
            self.ready.remove(&seq);
            let n = self.node_mut(seq).expect("member");
            n.state = State::Running(id);
            txns.push(n.txn.take().expect("not yet dispatched"));
        }
        self.units.insert(id, members);
        Some(Unit { id, txns })
    }

    fn complete(&mut self, unit: UnitId) {
        let members = self.units.remove(&unit).expect("a running unit");
        for &seq in &members {
            let dependents = {
                let n = self.node_mut(seq).expect("member");
                n.state = State::Done;
                std::mem::take(&mut n.dependents)
            };
            for d in dependents {
                let n = self.node_mut(d).expect("dependent");
                n.waiting_for -= 1;
                if n.waiting_for == 0 && n.state == State::Waiting {
                    n.state = State::Ready;
                    self.ready.insert(d);
                }
            }
            self.pending -= 1;
        }
        for seq in members {
            self.forget(seq);
        }
        self.drop_done_prefix();
    }

    fn pending(&self) -> usize {
        self.pending
    }
}

/// The serial scheduler: one unit at a time, in source order.
#[derive(Debug)]
pub struct Serial<T> {
    queue: VecDeque<PlannedTxn<T>>,
    running: Option<(UnitId, usize)>,
    next_unit_id: UnitId,
}

impl<T> Default for Serial<T> {
    fn default() -> Self {
        Self {
            queue: VecDeque::new(),
            running: None,
            next_unit_id: 1,
        }
    }
}

impl<T> Serial<T> {
    pub fn new() -> Self {
        Self::default()
    }
}

impl<T> Scheduler<T> for Serial<T> {
    fn push(&mut self, txn: PlannedTxn<T>) {
        self.queue.push_back(txn);
    }

    fn next_unit(&mut self, limits: &Limits) -> Option<Unit<T>> {
        if self.running.is_some() || self.queue.is_empty() {
            return None;
        }
        let mut txns = vec![self.queue.pop_front().expect("not empty")];
        let (mut rows, mut bytes) = (txns[0].rows, txns[0].bytes);
        if txns[0].keys.barrier.is_none() {
            while let Some(next) = self.queue.front() {
                if txns.len() >= limits.max_transactions
                    || next.keys.barrier.is_some()
                    || rows + next.rows > limits.max_rows
                    || bytes + next.bytes > limits.max_bytes
                {
                    break;
                }
                rows += next.rows;
                bytes += next.bytes;
                txns.push(self.queue.pop_front().expect("front"));
            }
        }
        let id = self.next_unit_id;
        self.next_unit_id += 1;
        self.running = Some((id, txns.len()));
        Some(Unit { id, txns })
    }

    fn complete(&mut self, unit: UnitId) {
        assert_eq!(
            self.running.map(|r| r.0),
            Some(unit),
            "complete() of a unit not running"
        );
        self.running = None;
    }

    fn pending(&self) -> usize {
        self.queue.len() + self.running.map_or(0, |r| r.1)
    }
}
