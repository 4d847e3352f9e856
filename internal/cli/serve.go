package cli

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/liaison-wb/liaison/internal/app"
	"github.com/liaison-wb/liaison/internal/clock"
	"github.com/liaison-wb/liaison/internal/config"
	"github.com/liaison-wb/liaison/internal/errs"
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
	warnPendingMigrations(ctx, logger, *cfg)
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
	fs := flagSet(env, "migrate", "migrate [--data DIR | --db URL] [--check]")
	cfg, load := nodeConfig(fs)
	check := fs.Bool("check", false, "list the migrations this binary would apply, apply nothing; exit 1 when the database is newer than the binary")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	if err := load(env.Getenv); err != nil {
		return err
	}
	opt := store.Options{URL: cfg.DB, DataDir: cfg.DataDir}
	pending, err := pendingMigrations(ctx, opt)
	if err != nil {
		return err
	}
	if *check {
		if len(pending) == 0 {
			fmt.Fprintln(env.Stdout, "the database is up to date: no migration to apply")
			return nil
		}
		fmt.Fprintf(env.Stdout, "%d migration(s) would be applied:\n", len(pending))
		for _, m := range pending {
			fmt.Fprintf(env.Stdout, "  %04d_%s\n", m.Version, m.Name)
		}
		return nil
	}
	st, err := store.Open(ctx, opt)
	if err != nil {
		return err
	}
	defer st.Close()
	v, err := st.AppliedVersion(ctx)
	if err != nil {
		return err
	}
	for _, m := range pending {
		fmt.Fprintf(env.Stdout, "applied %04d_%s\n", m.Version, m.Name)
	}
	fmt.Fprintf(env.Stdout, "database (%s) is at schema version %d\n", st.Dialect, v)
	return nil
}

// pendingMigrations lists what opening opt would apply, without changing
// it; a database that does not exist yet would get every migration. A
// database newer than the binary is an error.
func pendingMigrations(ctx context.Context, opt store.Options) ([]store.Migration, error) {
	st, err := store.Connect(ctx, opt)
	if errs.Is(err, errs.NotFound) {
		return store.Migrations()
	}
	if err != nil {
		return nil, err
	}
	defer st.Close()
	pending, unknown, err := st.MigrationStatus(ctx)
	if err != nil {
		return nil, err
	}
	if len(unknown) > 0 {
		return nil, errs.Newf(errs.Invalid, "migrate", "the database has migration(s) %v that this binary does not know: it was used by a newer liaison; upgrade the binary", unknown)
	}
	return pending, nil
}

// warnPendingMigrations tells the operator, before serve migrates an
// existing database, to have a backup.
func warnPendingMigrations(ctx context.Context, logger *slog.Logger, cfg config.Config) {
	st, err := store.Connect(ctx, store.Options{URL: cfg.DB, DataDir: cfg.DataDir})
	if err != nil {
		return // a new database, or an error serve reports itself
	}
	defer st.Close()
	pending, _, err := st.MigrationStatus(ctx)
	if err != nil || len(pending) == 0 {
		return
	}
	if v, err := st.AppliedVersion(ctx); err != nil || v == 0 {
		return // a fresh database has nothing to lose
	}
	var names []string
	for _, m := range pending {
		names = append(names, fmt.Sprintf("%04d_%s", m.Version, m.Name))
	}
	logger.Warn("the database has pending migrations, which are applied now; take a backup first (liaison backup) if you have not: a migration cannot be undone except by restoring",
		"pending", strings.Join(names, ","))
}
