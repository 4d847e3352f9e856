package fedbench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/liaison-wb/liaison/internal/app"
)

// Cluster is a set of real nodes on loopback, each a peer of every other,
// for measuring a module's work across the federation.
type Cluster struct {
	Nodes   map[string]*app.Node
	order   []string
	cleanup []func()
}

// StartCluster opens nodes with the given IDs (the first issues, the
// others receive, as the caller uses them), with mutual TLS when mtls is
// set, on SQLite under dir (a temporary directory when empty) or each in
// a fresh schema of the PostgreSQL database db.
func StartCluster(ctx context.Context, ids []string, db, dir string, mtls bool) (*Cluster, error) {
	c := &Cluster{Nodes: map[string]*app.Node{}}
	if dir == "" {
		d, err := os.MkdirTemp("", "liaison-cluster-")
		if err != nil {
			return nil, err
		}
		dir = d
		c.cleanup = append(c.cleanup, func() { os.RemoveAll(d) })
	}
	schemas, dropSchemas, err := pgSchemas(ctx, db)
	if err != nil {
		c.Close(ctx)
		return nil, err
	}
	c.cleanup = append(c.cleanup, dropSchemas)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, id := range ids {
		cfg, err := nodeConfig(id, dir+"/"+id, schemas(0)(id), mtls)
		if err != nil {
			c.Close(ctx)
			return nil, err
		}
		n, err := openNode(ctx, cfg, logger, func(*app.Node) {})
		if err != nil {
			c.Close(ctx)
			return nil, fmt.Errorf("node %s: %w", id, err)
		}
		c.Nodes[id] = n
		c.order = append(c.order, id)
	}
	for _, a := range c.order {
		for _, b := range c.order {
			if a != b {
				if err := peer(ctx, c.Nodes[a], c.Nodes[b]); err != nil {
					c.Close(ctx)
					return nil, err
				}
			}
		}
	}
	return c, nil
}

// Close stops the nodes and removes what StartCluster created.
func (c *Cluster) Close(ctx context.Context) {
	for i := len(c.order) - 1; i >= 0; i-- {
		c.Nodes[c.order[i]].Close(ctx)
	}
	for i := len(c.cleanup) - 1; i >= 0; i-- {
		c.cleanup[i]()
	}
}
