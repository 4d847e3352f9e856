package cli

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/liaison-wb/liaison/internal/backup"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/store"
)

// listFlag collects a repeatable flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

const backupUsage = "backup --out FILE --recipient AGE_PUBKEY [--recipient …] [--recipients-file FILE] [--data DIR | --db URL] | backup keygen --out KEYFILE"

func runBackup(ctx context.Context, env Env, args []string) error {
	if len(args) > 0 && args[0] == "keygen" {
		return runBackupKeygen(env, args[1:])
	}
	fs := flagSet(env, "backup", backupUsage)
	cfg, load := nodeConfig(fs)
	out := fs.String("out", "", "file to write the encrypted backup to (must not exist)")
	var recipients, recipientFiles listFlag
	fs.Var(&recipients, "recipient", "age public key (age1…) that can decrypt the backup; repeat for several")
	fs.Var(&recipientFiles, "recipients-file", "file of age public keys, one a line; repeatable")
	tmpDir := fs.String("tmp-dir", "", "where the plaintext snapshot waits while it is encrypted (default: the data directory)")
	quiet := fs.Bool("quiet", false, "no progress output on stderr")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	if *out == "" {
		return usagef("--out FILE is required")
	}
	if len(recipients)+len(recipientFiles) == 0 {
		return usagef("at least one --recipient or --recipients-file is required: backups are always encrypted (make a key pair with liaison backup keygen)")
	}
	if err := load(env.Getenv); err != nil {
		return err
	}
	rs, err := backup.ParseRecipients(recipients, recipientFiles)
	if err != nil {
		return usagef("%s", errs.SafeMessage(err))
	}
	if _, err := os.Stat(*out); err == nil {
		return usagef("%s already exists; choose a new file", *out)
	}
	progress := func(msg string) {
		if !*quiet {
			fmt.Fprintln(env.Stderr, msg)
		}
	}
	st, err := store.Connect(ctx, store.Options{URL: cfg.DB, DataDir: cfg.DataDir})
	if err != nil {
		return err
	}
	defer st.Close()
	m, size, err := backup.ToFile(ctx, *out, rs, backup.Source{Store: st, DataDir: cfg.DataDir, TmpDir: *tmpDir, Progress: progress})
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "backup of node %s written to %s: %s, %d tables, %d rows, %d files, encrypted to %d recipient(s)\n",
		m.NodeID, *out, humanBytes(size), len(m.Tables), m.Rows(), len(m.Files), len(rs))
	return nil
}

func runBackupKeygen(env Env, args []string) error {
	fs := flagSet(env, "backup keygen", "backup keygen --out KEYFILE")
	out := fs.String("out", "", "file to write the secret key to (mode 0600; keep it offline, away from the node)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return usagef("--out KEYFILE is required")
	}
	secret, recipient, err := backup.NewIdentity()
	if err != nil {
		return err
	}
	f, err := os.OpenFile(*out, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return errs.Wrap(errs.Unavailable, "backup keygen", "cannot create "+*out+" (it must not exist)", err)
	}
	_, err = fmt.Fprintf(f, "# liaison backup key, created %s\n# public key (recipient): %s\n%s\n", time.Now().UTC().Format(time.RFC3339), recipient, secret)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return errs.Wrap(errs.Unavailable, "backup keygen", "cannot write "+*out, err)
	}
	fmt.Fprintf(env.Stdout, "secret key written to %s\nrecipient (give this to liaison backup --recipient):\n%s\n", *out, recipient)
	return nil
}

func runRestore(ctx context.Context, env Env, args []string) error {
	fs := flagSet(env, "restore", "restore FILE --identity KEYFILE [--data DIR | --db URL] --node-id ID [--force-node-id]")
	cfg, load := nodeConfig(fs)
	idFile := fs.String("identity", "", "age identity file with a secret key the backup was encrypted to")
	force := fs.Bool("force-node-id", false, "restore a backup of another node as the configured --node-id")
	quiet := fs.Bool("quiet", false, "no progress output on stderr")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("restore takes one backup FILE")
	}
	if *idFile == "" {
		return usagef("--identity KEYFILE is required")
	}
	if err := load(env.Getenv); err != nil {
		return err
	}
	ids, err := backup.ReadIdentities(*idFile)
	if err != nil {
		return usagef("%s", errs.SafeMessage(err))
	}
	f, err := os.Open(pos[0])
	if err != nil {
		return usagef("cannot open %s", pos[0])
	}
	defer f.Close()
	progress := func(msg string) {
		if !*quiet {
			fmt.Fprintln(env.Stderr, msg)
		}
	}
	res, err := backup.Restore(ctx, f, ids, backup.Target{DataDir: cfg.DataDir, DB: cfg.DB, NodeID: cfg.NodeID, ForceNodeID: *force, Progress: progress})
	if err != nil {
		return err
	}
	st, err := store.Connect(ctx, store.Options{URL: cfg.DB, DataDir: cfg.DataDir})
	if err == nil {
		_ = st.RecordOps(ctx, store.SettingLastAuditVerify, store.OpsRecord{At: time.Now().UTC(), OK: res.Audit.OK(),
			Detail: fmt.Sprintf("%d entries, %d problem(s), after restore", res.Audit.Entries, len(res.Audit.Problems))})
		st.Close()
	}
	if !res.Audit.OK() {
		for _, p := range res.Audit.Problems {
			fmt.Fprintln(env.Stdout, "PROBLEM:", p)
		}
		return errs.Newf(errs.Invalid, "restore", "restored, but audit verify FAILED: %d problem(s); investigate before starting the node", len(res.Audit.Problems))
	}
	m := res.Manifest
	fmt.Fprintf(env.Stdout, "restored node %s from the backup of %s: %d tables, %d rows, %d files; audit log OK (%d entries)\n",
		cfg.NodeID, m.CreatedAt.Format("2006-01-02 15:04:05 UTC"), len(m.Tables), m.Rows(), len(m.Files), res.Audit.Entries)
	fmt.Fprintln(env.Stdout, "start it with liaison serve using the same --data/--db; pending migrations of a newer binary are applied then")
	return nil
}
