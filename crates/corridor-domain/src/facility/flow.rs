//! Minimum-cost flow by the primal-dual method: Dijkstra on reduced costs (with a bucket
//! queue: costs are small integers) gives potentials,
//! then as many augmenting paths as fit along edges of zero reduced cost (a blocking flow,
//! with current-arc pointers) before the next Dijkstra. Augmenting only along zero reduced
//! cost keeps every residual edge's reduced cost non-negative, so each phase's paths are
//! shortest and the final flow is of minimum cost for its value. Costs must be non-negative.
//!
//! Written here because the assignment needs a b-matching (each proposal k reviewers, each
//! reviewer a bounded load) rather than the square assignment the usual crates offer, and
//! because the phase structure makes the 1,500 × 400 instance take well under a second.

pub(crate) struct FlowGraph {
    /// Per edge: head, residual capacity, cost; edge `e ^ 1` is its reverse.
    to: Vec<u32>,
    capacity: Vec<i32>,
    cost: Vec<i64>,
    /// Per node, the edges leaving it.
    adjacency: Vec<Vec<u32>>,
}

impl FlowGraph {
    pub(crate) fn new(nodes: usize) -> FlowGraph {
        FlowGraph {
            to: Vec::new(),
            capacity: Vec::new(),
            cost: Vec::new(),
            adjacency: vec![Vec::new(); nodes],
        }
    }

    /// Adds an edge and answers its index (its flow is the reverse edge's capacity).
    pub(crate) fn add_edge(&mut self, from: usize, to: usize, capacity: i32, cost: i64) -> usize {
        debug_assert!(cost >= 0, "costs must be non-negative");
        debug_assert!(cost <= i64::from(i32::MAX), "costs must fit 32 bits");
        let index = self.to.len();
        self.to.push(to as u32);
        self.capacity.push(capacity);
        self.cost.push(cost);
        self.adjacency[from].push(index as u32);
        self.to.push(from as u32);
        self.capacity.push(0);
        self.cost.push(-cost);
        self.adjacency[to].push(index as u32 + 1);
        index
    }

    pub(crate) fn flow_on(&self, edge: usize) -> i32 {
        self.capacity[edge ^ 1]
    }

    /// Sends as much flow as possible (at most `limit`) from `source` to `sink` at minimum
    /// cost; answers the flow sent and its cost.
    ///
    /// The search runs on a compact copy of the graph: every node's arcs side by side, each
    /// with its head, its reverse arc, its residual capacity and its cost (16 bytes), so the
    /// scans that dominate (a Dijkstra and a blocking flow per phase, over every arc) read
    /// memory in order. The flows are copied back at the end.
    pub(crate) fn min_cost_flow(&mut self, source: usize, sink: usize, limit: i64) -> (i64, i64) {
        let nodes = self.adjacency.len();
        let mut offsets = Vec::with_capacity(nodes + 1);
        let mut position_of_edge = vec![0u32; self.to.len()];
        let mut total = 0usize;
        for node in 0..nodes {
            offsets.push(total as u32);
            for &edge in &self.adjacency[node] {
                position_of_edge[edge as usize] = total as u32;
                total += 1;
            }
        }
        offsets.push(total as u32);
        let mut arcs = vec![
            Arc {
                to: 0,
                reverse: 0,
                capacity: 0,
                cost: 0
            };
            total
        ];
        for node in 0..nodes {
            for &edge in &self.adjacency[node] {
                let edge = edge as usize;
                arcs[position_of_edge[edge] as usize] = Arc {
                    to: self.to[edge],
                    reverse: position_of_edge[edge ^ 1],
                    capacity: self.capacity[edge],
                    cost: self.cost[edge] as i32,
                };
            }
        }
        let mut network = Network { offsets, arcs };
        let result = network.min_cost_flow(source, sink, limit);
        for (edge, position) in position_of_edge.iter().enumerate() {
            self.capacity[edge] = network.arcs[*position as usize].capacity;
        }
        result
    }
}

#[derive(Debug, Clone, Copy)]
struct Arc {
    to: u32,
    /// Position of the reverse arc.
    reverse: u32,
    capacity: i32,
    cost: i32,
}

/// The graph in compressed rows: the arcs of node `n` are `arcs[offsets[n]..offsets[n + 1]]`.
struct Network {
    offsets: Vec<u32>,
    arcs: Vec<Arc>,
}

impl Network {
    fn arcs_of(&self, node: usize) -> std::ops::Range<usize> {
        self.offsets[node] as usize..self.offsets[node + 1] as usize
    }

    fn min_cost_flow(&mut self, source: usize, sink: usize, limit: i64) -> (i64, i64) {
        let nodes = self.offsets.len() - 1;
        let mut potential = vec![0i64; nodes];
        let mut distance = vec![i64::MAX; nodes];
        let mut next_arc: Vec<usize> = vec![0; nodes];
        let mut on_path = vec![false; nodes];
        let mut buckets: Vec<Vec<u32>> = Vec::new();
        let (mut flow, mut cost) = (0i64, 0i64);
        while flow < limit {
            // Dijkstra on reduced costs, which are small non-negative integers here: a bucket
            // queue (Dial's algorithm) instead of a heap, stopped once the sink is settled —
            // nodes farther away get the sink's distance as their potential step, which keeps
            // every residual reduced cost non-negative just the same.
            distance.fill(i64::MAX);
            distance[source] = 0;
            for bucket in buckets.iter_mut() {
                bucket.clear();
            }
            if buckets.is_empty() {
                buckets.push(Vec::new());
            }
            buckets[0].push(source as u32);
            let mut current = 0usize;
            while current < buckets.len() {
                if distance[sink] != i64::MAX && current as i64 > distance[sink] {
                    break;
                }
                let Some(node) = buckets[current].pop() else {
                    current += 1;
                    continue;
                };
                let node = node as usize;
                let reached = current as i64;
                if reached > distance[node] {
                    continue;
                }
                let base = potential[node] + reached;
                for arc in &self.arcs[self.arcs_of(node)] {
                    if arc.capacity <= 0 {
                        continue;
                    }
                    let head = arc.to as usize;
                    let candidate = base + i64::from(arc.cost) - potential[head];
                    if candidate < distance[head] {
                        distance[head] = candidate;
                        let slot = candidate as usize;
                        if slot >= buckets.len() {
                            buckets.resize_with(slot + 1, Vec::new);
                        }
                        buckets[slot].push(head as u32);
                    }
                }
            }
            if distance[sink] == i64::MAX {
                break;
            }
            let sink_distance = distance[sink];
            for node in 0..nodes {
                potential[node] += distance[node].min(sink_distance);
            }
            // Blocking flow along zero reduced cost.
            for (node, next) in next_arc.iter_mut().enumerate() {
                *next = self.offsets[node] as usize;
            }
            loop {
                let pushed = self.augment(
                    source,
                    sink,
                    limit - flow,
                    &potential,
                    &mut next_arc,
                    &mut on_path,
                );
                if pushed == 0 {
                    break;
                }
                flow += pushed;
                cost += pushed * (potential[sink] - potential[source]);
                if flow >= limit {
                    break;
                }
            }
        }
        (flow, cost)
    }

    /// One augmenting path of zero reduced cost from `source`, found by an iterative DFS with
    /// current-arc pointers; answers the amount pushed (0 when none is left this phase).
    fn augment(
        &mut self,
        source: usize,
        sink: usize,
        limit: i64,
        potential: &[i64],
        next_arc: &mut [usize],
        on_path: &mut [bool],
    ) -> i64 {
        let mut path_nodes = vec![source];
        let mut path_arcs: Vec<usize> = Vec::new();
        on_path[source] = true;
        while let Some(&node) = path_nodes.last() {
            if node == sink {
                let bottleneck = path_arcs
                    .iter()
                    .map(|&arc| i64::from(self.arcs[arc].capacity))
                    .min()
                    .unwrap_or(0)
                    .min(limit);
                for &arc in &path_arcs {
                    let reverse = self.arcs[arc].reverse as usize;
                    self.arcs[arc].capacity -= bottleneck as i32;
                    self.arcs[reverse].capacity += bottleneck as i32;
                }
                for &visited in &path_nodes {
                    on_path[visited] = false;
                }
                return bottleneck;
            }
            let mut advanced = false;
            let end = self.offsets[node + 1] as usize;
            let here = potential[node];
            while next_arc[node] < end {
                let position = next_arc[node];
                let arc = self.arcs[position];
                let head = arc.to as usize;
                if arc.capacity > 0
                    && !on_path[head]
                    && i64::from(arc.cost) + here - potential[head] == 0
                {
                    path_nodes.push(head);
                    path_arcs.push(position);
                    on_path[head] = true;
                    advanced = true;
                    break;
                }
                next_arc[node] += 1;
            }
            if !advanced {
                // A dead end this phase: retreat and skip the arc that led here.
                on_path[node] = false;
                path_nodes.pop();
                path_arcs.pop();
                if let Some(&parent) = path_nodes.last() {
                    next_arc[parent] += 1;
                }
            }
        }
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_network_finds_the_cheapest_flow() {
        // Two units from 0 to 3: the paths 0-1-3 (cost 1+1) and 0-2-3 (cost 2+2), or 0-1-2-3.
        let mut graph = FlowGraph::new(4);
        graph.add_edge(0, 1, 1, 1);
        graph.add_edge(0, 2, 1, 2);
        graph.add_edge(1, 3, 1, 1);
        graph.add_edge(2, 3, 2, 2);
        graph.add_edge(1, 2, 1, 0);
        let (flow, cost) = graph.min_cost_flow(0, 3, 10);
        assert_eq!((flow, cost), (2, 2 + 4));
    }
}
