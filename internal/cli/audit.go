package cli

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/liaison-wb/liaison/internal/audit"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/identity"
	"github.com/liaison-wb/liaison/internal/store"
)

func runAudit(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 || args[0] != "verify" {
		return usagef("use: liaison audit verify [--data DIR | --db URL] [--public-key KEY]")
	}
	fs := flagSet(env, "audit verify", "audit verify [--data DIR | --db URL] [--public-key KEY]")
	cfg, load := nodeConfig(fs)
	pubFlag := fs.String("public-key", "", "node public key (base64) to pin; default: the key in the data directory")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	if err := load(env.Getenv); err != nil {
		return err
	}
	var pinned ed25519.PublicKey
	switch {
	case *pubFlag != "":
		k, err := identity.DecodePublic(*pubFlag)
		if err != nil {
			return usagef("--public-key: %v", errs.SafeMessage(err))
		}
		pinned = k
	default:
		if _, err := os.Stat(filepath.Join(cfg.DataDir, identity.KeyFile)); err == nil {
			n, err := identity.LoadOrCreate(cfg.DataDir, cfg.NodeID, "")
			if err != nil {
				return err
			}
			pinned = n.Public()
		} else {
			fmt.Fprintln(env.Stderr, "warning: no node key found and no --public-key given; checking signatures against the keys stored with the checkpoints")
		}
	}
	if cfg.DB == "" {
		if _, err := os.Stat(filepath.Join(cfg.DataDir, "liaison.db")); errors.Is(err, os.ErrNotExist) {
			return usagef("no database in %s; use --data DIR or --db URL", cfg.DataDir)
		}
	}
	st, err := store.Open(ctx, store.Options{URL: cfg.DB, DataDir: cfg.DataDir})
	if err != nil {
		return err
	}
	defer st.Close()
	rep, err := audit.Verify(ctx, st, pinned, func(done int64) { fmt.Fprintf(env.Stderr, "verified %d entries…\n", done) })
	if err != nil {
		return err
	}
	if !rep.OK() {
		for _, p := range rep.Problems {
			fmt.Fprintln(env.Stdout, "PROBLEM:", p)
		}
		return errs.Newf(errs.Invalid, "audit.verify", "audit log verification FAILED: %d problem(s) in %d entries", len(rep.Problems), rep.Entries)
	}
	latest := "no checkpoint signed yet"
	if rep.Latest != nil {
		latest = fmt.Sprintf("latest checkpoint: %d entries, signed %s by node %s", rep.Latest.Size, rep.Latest.At.Format("2006-01-02 15:04:05 UTC"), rep.Latest.NodeID)
		if rep.Entries > rep.Latest.Size {
			latest += fmt.Sprintf("; %d newer entries are not yet covered by a checkpoint", rep.Entries-rep.Latest.Size)
		}
	}
	fmt.Fprintf(env.Stdout, "audit log OK: %d entries, %d signed checkpoints; %s\n", rep.Entries, rep.Checkpoints, latest)
	return nil
}
