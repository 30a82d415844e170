//! What a plan allows: critical path and the speedup of 1..N workers,
//! simulated on the dependency graph, streaming (memory bounded by a window
//! of pending transactions, whatever the binlog's length).
//!
//! Cost model: a transaction costs `1 + rows` (one commit plus one unit per
//! row change); units hold one transaction, so the figures measure the
//! graph's parallelism, not the batching apply adds on top.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::keyset::KeySet;
use crate::schedule::{Graph, Limits, PlannedTxn, Scheduler, UnitId};

/// One simulated run with a fixed number of workers.
struct Simulation {
    workers: Option<usize>,
    graph: Graph<u64>,
    running: BinaryHeap<Reverse<(u64, UnitId)>>,
    now: u64,
    /// For the unbounded run: rounds of "run everything ready".
    rounds: u64,
}

const ONE: Limits = Limits {
    max_transactions: 1,
    max_rows: u64::MAX,
    max_bytes: u64::MAX,
};

impl Simulation {
    fn new(workers: Option<usize>) -> Self {
        Self {
            workers,
            graph: Graph::new(),
            running: BinaryHeap::new(),
            now: 0,
            rounds: 0,
        }
    }

    /// Starts what can start, then finishes the earliest running unit.
    fn step(&mut self) {
        match self.workers {
            Some(w) => {
                while self.running.len() < w {
                    let Some(unit) = self.graph.next_unit(&ONE) else {
                        break;
                    };
                    let cost: u64 = unit.txns.iter().map(|t| t.payload).sum();
                    self.running.push(Reverse((self.now + cost, unit.id)));
                }
                if let Some(Reverse((t, id))) = self.running.pop() {
                    self.now = t;
                    self.graph.complete(id);
                }
            }
            None => {
                let mut started = vec![];
                while let Some(unit) = self.graph.next_unit(&ONE) {
                    started.push(unit.id);
                }
                if !started.is_empty() {
                    self.rounds += 1;
                }
                for id in started {
                    self.graph.complete(id);
                }
            }
        }
    }

    fn drain(&mut self) {
        while self.graph.pending() > 0 {
            self.step();
        }
    }
}

/// Streaming analysis of a sequence of key sets.
pub struct Analysis {
    sims: Vec<Simulation>,
    critical: Simulation,
    window: usize,
    serial_cost: u64,
    next_id: u64,
}

/// The result of [`Analysis::finish`].
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Parallelism {
    /// Transactions on the longest dependency chain.
    pub critical_path: u64,
    /// Total cost, in the cost model's units.
    pub serial_cost: u64,
    /// (workers, speedup over one worker).
    pub speedup: Vec<(usize, f64)>,
}

impl Analysis {
    /// Simulates `workers` (e.g. 1, 2, 4, 8, 16) with at most `window`
    /// transactions pending at a time.
    pub fn new(workers: &[usize], window: usize) -> Self {
        Self {
            sims: workers
                .iter()
                .map(|&w| Simulation::new(Some(w.max(1))))
                .collect(),
            critical: Simulation::new(None),
            window: window.max(1),
            serial_cost: 0,
            next_id: 0,
        }
    }

    /// Adds the next transaction in source order.
    pub fn push(&mut self, keys: &KeySet, rows: u64) {
        let cost = 1 + rows;
        self.serial_cost += cost;
        self.next_id += 1;
        for sim in self
            .sims
            .iter_mut()
            .chain(std::iter::once(&mut self.critical))
        {
            while sim.graph.pending() >= self.window {
                sim.step();
            }
            sim.graph.push(PlannedTxn {
                id: self.next_id,
                keys: keys.clone(),
                rows,
                bytes: 0,
                payload: cost,
            });
        }
    }

    pub fn finish(mut self) -> Parallelism {
        for sim in self
            .sims
            .iter_mut()
            .chain(std::iter::once(&mut self.critical))
        {
            sim.drain();
        }
        let speedup = self
            .sims
            .iter()
            .map(|s| {
                let w = s.workers.unwrap_or(0);
                let x = if s.now == 0 {
                    1.0
                } else {
                    self.serial_cost as f64 / s.now as f64
                };
                (w, (x * 100.0).round() / 100.0)
            })
            .collect();
        Parallelism {
            critical_path: self.critical.rounds,
            serial_cost: self.serial_cost,
            speedup,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::Access;

    fn keys(v: &[u64]) -> KeySet {
        KeySet {
            values: v.to_vec(),
            scopes: vec![(99, Access::Shared)],
            barrier: None,
        }
    }

    #[test]
    fn independent_transactions_scale_and_chains_do_not() {
        let mut a = Analysis::new(&[1, 2, 4], 100);
        for i in 0..8 {
            a.push(&keys(&[i]), 0);
        }
        let p = a.finish();
        assert_eq!(p.critical_path, 1);
        assert_eq!(p.speedup, vec![(1, 1.0), (2, 2.0), (4, 4.0)]);

        let mut a = Analysis::new(&[1, 4], 3);
        for _ in 0..8 {
            a.push(&keys(&[7]), 1);
        }
        let p = a.finish();
        assert_eq!(p.critical_path, 8);
        assert_eq!(p.speedup, vec![(1, 1.0), (4, 1.0)]);
    }

    #[test]
    fn a_barrier_splits_the_graph() {
        let mut a = Analysis::new(&[8], 100);
        for i in 0..4 {
            a.push(&keys(&[i]), 0);
        }
        a.push(&KeySet::barrier(crate::BarrierCause::Ddl), 0);
        for i in 0..4 {
            a.push(&keys(&[i]), 0);
        }
        let p = a.finish();
        assert_eq!(p.critical_path, 3);
    }
}
