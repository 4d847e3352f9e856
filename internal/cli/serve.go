package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/liaison-wb/liaison/internal/app"
	"github.com/liaison-wb/liaison/internal/clock"
	"github.com/liaison-wb/liaison/internal/store"
)

func runServe(ctx context.Context, env Env, args []string) error {
	fs := flagSet(env, "serve", "serve [flags]")
	cfg, load := nodeConfig(fs)
	printConfig := fs.Bool("print-config", false, "print the effective configuration (secrets redacted) and exit")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	if err := load(env.Getenv); err != nil {
		return err
	}
	if *printConfig {
		for _, l := range cfg.Redacted() {
			fmt.Fprintln(env.Stdout, l)
		}
		return nil
	}
	logger := newLogger(env.Stderr, cfg)
	logger.Info("starting", "config", cfg.Redacted())
	node, err := app.Open(ctx, *cfg, logger, clock.System{}, env.Stdout)
	if err != nil {
		return err
	}
	if err := node.Start(ctx); err != nil {
		node.Close(context.Background())
		return err
	}
	fmt.Fprintf(env.Stdout, "Liaison node %s listening on %s\n", cfg.NodeID, node.URL())
	<-ctx.Done()
	logger.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout+5*time.Second)
	defer cancel()
	return node.Close(sctx)
}

func runMigrate(ctx context.Context, env Env, args []string) error {
	fs := flagSet(env, "migrate", "migrate [--data DIR | --db URL]")
	cfg, load := nodeConfig(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := load(env.Getenv); err != nil {
		return err
	}
	st, err := store.Open(ctx, store.Options{URL: cfg.DB, DataDir: cfg.DataDir})
	if err != nil {
		return err
	}
	defer st.Close()
	v, err := st.AppliedVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "database (%s) is at schema version %d\n", st.Dialect, v)
	return nil
}
