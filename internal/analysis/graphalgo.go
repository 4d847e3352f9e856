package analysis

import (
	"slices"
	"sort"
)

// Graph is an undirected multigraph of entities held in memory for the
// link chart's computations. Nodes are indexed 0..n-1.
type Graph struct {
	IDs   []string
	index map[string]int
	adj   [][]int
}

// NewGraph builds a graph from node IDs and edges between them (edges
// naming unknown nodes are ignored; parallel edges count once).
func NewGraph(ids []string, edges [][2]string) *Graph {
	g := &Graph{IDs: ids, index: make(map[string]int, len(ids)), adj: make([][]int, len(ids))}
	for i, id := range ids {
		g.index[id] = i
	}
	for _, e := range edges {
		a, okA := g.index[e[0]]
		b, okB := g.index[e[1]]
		if !okA || !okB || a == b {
			continue
		}
		g.adj[a] = append(g.adj[a], b)
		g.adj[b] = append(g.adj[b], a)
	}
	for i := range g.adj {
		slices.Sort(g.adj[i])
		g.adj[i] = slices.Compact(g.adj[i])
	}
	return g
}

// Degree is the number of distinct neighbours of each node.
func (g *Graph) Degree() []int {
	out := make([]int, len(g.adj))
	for i, a := range g.adj {
		out[i] = len(a)
	}
	return out
}

// ExactBetweennessUpTo is the largest graph whose betweenness is computed
// from every node; larger graphs are estimated from BetweennessSources
// evenly spaced sources and scaled (Brandes and Pich 2007), so a
// 5,000-entity chart stays interactive.
const (
	ExactBetweennessUpTo = 1000
	BetweennessSources   = 250
)

// Betweenness is each node's betweenness centrality (Brandes 2001,
// unweighted, undirected: each pair counted once); estimated from a
// sample of sources above ExactBetweennessUpTo nodes.
func (g *Graph) Betweenness() []float64 {
	n := len(g.adj)
	step := 1
	if n > ExactBetweennessUpTo {
		step = (n + BetweennessSources - 1) / BetweennessSources
	}
	cb := make([]float64, n)
	sigma := make([]float64, n)
	dist := make([]int, n)
	delta := make([]float64, n)
	preds := make([][]int, n)
	stack := make([]int, 0, n)
	queue := make([]int, 0, n)
	for s := 0; s < n; s += step {
		stack, queue = stack[:0], queue[:0]
		for i := range n {
			sigma[i], dist[i], delta[i], preds[i] = 0, -1, 0, preds[i][:0]
		}
		sigma[s], dist[s] = 1, 0
		queue = append(queue, s)
		for len(queue) > 0 {
			v := queue[0]
			queue = queue[1:]
			stack = append(stack, v)
			for _, w := range g.adj[v] {
				if dist[w] < 0 {
					dist[w] = dist[v] + 1
					queue = append(queue, w)
				}
				if dist[w] == dist[v]+1 {
					sigma[w] += sigma[v]
					preds[w] = append(preds[w], v)
				}
			}
		}
		for i := len(stack) - 1; i >= 0; i-- {
			w := stack[i]
			for _, v := range preds[w] {
				delta[v] += sigma[v] / sigma[w] * (1 + delta[w])
			}
			if w != s {
				cb[w] += delta[w]
			}
		}
	}
	for i := range cb {
		cb[i] = cb[i] / 2 * float64(step)
	}
	return cb
}

// ShortestPath returns the node indexes of a shortest path from a to b,
// nil when there is none.
func (g *Graph) ShortestPath(a, b int) []int {
	prev := make([]int, len(g.adj))
	for i := range prev {
		prev[i] = -1
	}
	prev[a] = a
	queue := []int{a}
	for len(queue) > 0 && prev[b] < 0 {
		v := queue[0]
		queue = queue[1:]
		for _, w := range g.adj[v] {
			if prev[w] < 0 {
				prev[w] = v
				queue = append(queue, w)
			}
		}
	}
	if prev[b] < 0 {
		return nil
	}
	path := []int{b}
	for v := b; v != a; v = prev[v] {
		path = append(path, prev[v])
	}
	slices.Reverse(path)
	return path
}

// Communities labels each node with a community found by modularity
// local moving (the first phase of the Louvain method): nodes in index
// order move to the neighbouring community with the best modularity gain
// until none moves. Deterministic. Labels are renumbered 0.. by size,
// largest first.
func (g *Graph) Communities() []int {
	n := len(g.adj)
	label := make([]int, n)
	tot := make([]float64, n)
	m2 := 0.0
	for i := range label {
		label[i] = i
		tot[i] = float64(len(g.adj[i]))
		m2 += tot[i]
	}
	if m2 > 0 {
		w := map[int]float64{}
		var cs []int
		for round := 0; round < 100; round++ {
			changed := false
			for v := 0; v < n; v++ {
				k := float64(len(g.adj[v]))
				if k == 0 {
					continue
				}
				old := label[v]
				tot[old] -= k
				clear(w)
				cs = cs[:0]
				for _, u := range g.adj[v] {
					if _, ok := w[label[u]]; !ok {
						cs = append(cs, label[u])
					}
					w[label[u]]++
				}
				slices.Sort(cs)
				best, bestGain := old, w[old]-tot[old]*k/m2
				for _, c := range cs {
					if gain := w[c] - tot[c]*k/m2; gain > bestGain+1e-12 {
						best, bestGain = c, gain
					}
				}
				tot[best] += k
				if best != old {
					label[v], changed = best, true
				}
			}
			if !changed {
				break
			}
		}
	}
	size := map[int]int{}
	for _, l := range label {
		size[l]++
	}
	ls := make([]int, 0, len(size))
	for l := range size {
		ls = append(ls, l)
	}
	sort.Slice(ls, func(i, j int) bool {
		if size[ls[i]] != size[ls[j]] {
			return size[ls[i]] > size[ls[j]]
		}
		return ls[i] < ls[j]
	})
	renum := make(map[int]int, len(ls))
	for i, l := range ls {
		renum[l] = i
	}
	for i, l := range label {
		label[i] = renum[l]
	}
	return label
}
