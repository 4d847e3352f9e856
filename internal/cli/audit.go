package cli

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/liaison-wb/liaison/internal/app"
	"github.com/liaison-wb/liaison/internal/audit"
	"github.com/liaison-wb/liaison/internal/clock"
	"github.com/liaison-wb/liaison/internal/config"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/federation"
	"github.com/liaison-wb/liaison/internal/identity"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/witness"
)

const auditUsage = "liaison audit verify [--data DIR | --db URL] [--public-key KEY] [--witnesses] | liaison audit prune [--data DIR | --db URL] [--older-than 1095d] [--archive FILE]"

func runAudit(ctx context.Context, env Env, args []string) error {
	if len(args) > 0 && args[0] == "prune" {
		return runAuditPrune(ctx, env, args[1:])
	}
	if len(args) == 0 || args[0] != "verify" {
		return usagef("use: %s", auditUsage)
	}
	fs := flagSet(env, "audit verify", "audit verify [--data DIR | --db URL] [--public-key KEY] [--witnesses]")
	cfg, load := nodeConfig(fs)
	pubFlag := fs.String("public-key", "", "node public key (base64) to pin; default: the key in the data directory")
	withWitnesses := fs.Bool("witnesses", false, "also ask every peer, live, for the checkpoint of this log it witnessed and check the log against it (needs the node's key and federation certificate in --data)")
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
	var previous []ed25519.PublicKey
	switch {
	case *pubFlag != "":
		k, err := identity.DecodePublic(*pubFlag)
		if err != nil {
			return usagef("--public-key: %v", errs.SafeMessage(err))
		}
		pinned = k
	default:
		if _, err := os.Stat(filepath.Join(cfg.DataDir, identity.KeyFile)); err == nil {
			n, err := identity.Load(cfg.DataDir, cfg.NodeID, "")
			if err != nil {
				return err
			}
			pinned, previous = n.Public(), n.PreviousPublic()
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
	progress := func(done int64) { fmt.Fprintf(env.Stderr, "verified %d entries…\n", done) }
	var rep audit.Report
	if *withWitnesses {
		rep, err = verifyWithWitnesses(ctx, env, *cfg, st, progress)
	} else {
		rep, err = audit.Verify(ctx, st, audit.VerifyOptions{Pinned: pinned, Previous: previous, Progress: progress})
	}
	if err != nil {
		return err
	}
	// Remembered for liaison doctor; a read-only database only loses the note.
	rec := store.OpsRecord{At: time.Now().UTC(), OK: rep.OK(), Detail: fmt.Sprintf("%d entries, %d problem(s)", rep.Entries, len(rep.Problems))}
	if err := st.RecordOps(ctx, store.SettingLastAuditVerify, rec); err != nil {
		fmt.Fprintln(env.Stderr, "warning: could not record the verification for liaison doctor:", errs.SafeMessage(err))
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
	erased := ""
	if rep.Erased > 0 {
		erased = fmt.Sprintf(" (%d erased after the retention period)", rep.Erased)
	}
	fmt.Fprintf(env.Stdout, "audit log OK: %d entries%s, %d signed checkpoints; %s\n", rep.Entries, erased, rep.Checkpoints, latest)
	if *withWitnesses {
		fmt.Fprintf(env.Stdout, "%d witness(es) agree with the log\n", len(rep.Witnessed))
	}
	return nil
}

// verifyWithWitnesses asks the peers, as the node would, which checkpoint of
// this log each holds, and verifies the log against them. It reads the
// node's key and federation certificate but writes nothing.
func verifyWithWitnesses(ctx context.Context, env Env, cfg config.Config, st *store.Store, progress func(int64)) (audit.Report, error) {
	nodeID, err := st.NodeID(ctx)
	if err != nil {
		return audit.Report{}, err
	}
	if _, err := os.Stat(filepath.Join(cfg.DataDir, identity.KeyFile)); err != nil {
		return audit.Report{}, usagef("--witnesses needs the node key in --data %s", cfg.DataDir)
	}
	node, err := identity.Load(cfg.DataDir, nodeID, "")
	if err != nil {
		return audit.Report{}, err
	}
	fcfg := federation.DefaultConfig()
	fcfg.Insecure = cfg.InsecureFederation
	deps := federation.Deps{Store: st, Node: node, Clock: clock.System{}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if tlsCert, err := federation.LoadOrCreateTLS(cfg.DataDir, nodeID); err == nil {
		deps.TLS = &tlsCert
	}
	w, err := witness.New(witness.Deps{Store: st, Fed: federation.New(deps, fcfg), Node: node, Clock: clock.System{}, Logger: deps.Logger})
	if err != nil {
		return audit.Report{}, err
	}
	rep, held, err := w.Verify(ctx, progress)
	if err != nil {
		return rep, err
	}
	agrees := map[string]bool{}
	for _, r := range rep.Witnessed {
		agrees[r.Witness] = r.OK
	}
	for _, h := range held {
		switch {
		case h.Witnessed == nil:
			fmt.Fprintf(env.Stdout, "witness %s: not checked (%s)\n", h.Peer, h.Error)
		case agrees[h.Peer]:
			fmt.Fprintf(env.Stdout, "witness %s: holds %d entries, cosigned %s: matches\n", h.Peer, h.Witnessed.Size, h.Witnessed.At.Format("2006-01-02 15:04:05 UTC"))
		default:
			fmt.Fprintf(env.Stdout, "witness %s: holds %d entries, cosigned %s: DOES NOT MATCH\n", h.Peer, h.Witnessed.Size, h.Witnessed.At.Format("2006-01-02 15:04:05 UTC"))
		}
	}
	if len(rep.Witnessed) == 0 {
		rep.Problems = append(rep.Problems, "no witness could confirm the log: none of the peers answered with a checkpoint of it")
	}
	return rep, nil
}

// runAuditPrune erases access records older than the retention period now,
// instead of waiting for the node's daily run. Stop the node first: the log
// has one writer.
func runAuditPrune(ctx context.Context, env Env, args []string) error {
	fs := flagSet(env, "audit prune", "audit prune [--data DIR | --db URL] [--older-than 1095d] [--archive FILE]")
	cfg, load := nodeConfig(fs)
	olderThan := fs.String("older-than", "", "erase records older than this (default: --audit-retention)")
	archivePath := fs.String("archive", "", "first write the erased records, with their leaf hashes, to this JSON-lines file")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	if err := load(env.Getenv); err != nil {
		return err
	}
	retention := cfg.AuditRetention
	if *olderThan != "" {
		d, err := config.ParseDuration(*olderThan)
		if err != nil {
			return usagef("--older-than: %v", err)
		}
		retention = d
	}
	if retention <= 0 {
		return usagef("the retention period is 0 (records are kept for ever); give --older-than")
	}
	if cfg.DB == "" {
		if _, err := os.Stat(filepath.Join(cfg.DataDir, "liaison.db")); errors.Is(err, os.ErrNotExist) {
			return usagef("no database in %s; use --data DIR or --db URL", cfg.DataDir)
		}
	}
	node, err := app.Open(ctx, *cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), clock.System{}, io.Discard)
	if err != nil {
		return err
	}
	defer node.Close(context.Background())
	var archive io.Writer
	if *archivePath != "" {
		f, err := os.OpenFile(*archivePath, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return fmt.Errorf("cannot create the archive (it must not exist yet): %w", err)
		}
		defer func() {
			if err := f.Close(); err != nil {
				fmt.Fprintf(env.Stderr, "warning: closing the archive %s: %v\n", *archivePath, err)
			}
		}()
		archive = f
	}
	before := time.Now().UTC().Add(-retention)
	res, err := node.Audit.Prune(ctx, before, archive, func(done, total int64) {
		fmt.Fprintf(env.Stderr, "\rerased %d/%d records", done, total)
	})
	if err != nil {
		return err
	}
	if res.Erased() > 0 {
		fmt.Fprintln(env.Stderr)
	}
	fmt.Fprintf(env.Stdout, "audit retention: erased %d records made before %s; the log stays verifiable with liaison audit verify\n",
		res.Erased(), before.Format("2006-01-02 15:04 UTC"))
	return nil
}
