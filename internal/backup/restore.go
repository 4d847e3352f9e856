package backup

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"filippo.io/age"

	"github.com/liaison-wb/liaison/internal/audit"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/identity"
	"github.com/liaison-wb/liaison/internal/store"
)

// Target is where a backup is restored.
type Target struct {
	DataDir string
	// DB is the database URL: empty for SQLite in DataDir.
	DB string
	// NodeID is the node ID the restored node will run as; a backup of
	// another node is refused unless ForceNodeID.
	NodeID      string
	ForceNodeID bool
	Progress    func(msg string)
}

func (t Target) progress(format string, args ...any) {
	Source{Progress: t.Progress}.progress(format, args...)
}

func (t Target) options() store.Options { return store.Options{URL: t.DB, DataDir: t.DataDir} }

// Result is what a restore did.
type Result struct {
	Manifest Manifest
	Audit    audit.Report
}

// CheckEmpty refuses a target that already holds a node.
func CheckEmpty(ctx context.Context, t Target) error {
	const op = "backup.Restore"
	entries, err := os.ReadDir(t.DataDir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return errs.Wrap(errs.Invalid, op, "cannot read the data directory "+t.DataDir, err)
	}
	if len(entries) > 0 {
		return errs.Newf(errs.Conflict, op, "the data directory %s is not empty: restore only into an empty directory", t.DataDir)
	}
	opt := t.options()
	if p := store.SQLitePath(opt); p != "" {
		if _, err := os.Stat(p); err == nil {
			return errs.Newf(errs.Conflict, op, "the database %s already exists: restore only into an empty database", p)
		}
		return nil
	}
	st, err := store.Connect(ctx, opt)
	if err != nil {
		return err
	}
	defer st.Close()
	tables, err := st.Tables(ctx)
	if err != nil {
		return err
	}
	if len(tables) > 0 {
		return errs.Newf(errs.Conflict, op, "the database already has %d tables: restore only into an empty database (or schema)", len(tables))
	}
	return nil
}

// Restore decrypts the backup in r with ids and restores it into an empty
// target, then checks row counts against the manifest and verifies the
// audit log. On failure it removes what it wrote to the data directory.
func Restore(ctx context.Context, r io.Reader, ids []age.Identity, t Target) (res Result, err error) {
	const op = "backup.Restore"
	if err := CheckEmpty(ctx, t); err != nil {
		return res, err
	}
	dec, err := age.Decrypt(r, ids...)
	if err != nil {
		var noMatch *age.NoIdentityMatchError
		if errors.As(err, &noMatch) {
			return res, errs.Wrap(errs.Forbidden, op, "this identity cannot decrypt the backup: it was encrypted to other recipients", err)
		}
		return res, errs.Wrap(errs.Invalid, op, "not a readable age-encrypted backup", err)
	}
	gz, err := gzip.NewReader(dec)
	if err != nil {
		return res, errs.Wrap(errs.Invalid, op, "the backup is damaged", err)
	}
	tr := tar.NewReader(gz)
	hdr, err := tr.Next()
	if err != nil || hdr.Name != entryManifest {
		return res, errs.New(errs.Invalid, op, "the backup has no manifest")
	}
	var m Manifest
	if err := json.NewDecoder(io.LimitReader(tr, 16<<20)).Decode(&m); err != nil || m.Format != Format {
		return res, errs.New(errs.Invalid, op, "the backup's manifest is not a "+Format+" manifest")
	}
	res.Manifest = m
	if m.NodeID != t.NodeID && !t.ForceNodeID {
		return res, errs.Newf(errs.Conflict, op, "the backup is of node %q, not %q: restore it with --node-id %s, or with --force-node-id to make it node %q", m.NodeID, t.NodeID, m.NodeID, t.NodeID)
	}
	createdDir := false
	if _, err := os.Stat(t.DataDir); errors.Is(err, os.ErrNotExist) {
		createdDir = true
	}
	if err := os.MkdirAll(t.DataDir, 0o700); err != nil {
		return res, errs.Wrap(errs.Unavailable, op, "cannot create "+t.DataDir, err)
	}
	defer func() {
		if err != nil {
			cleanDir(t.DataDir, createdDir)
		}
	}()
	t.progress("backup of node %s taken %s by liaison %s: %d tables, %d rows, %d files", m.NodeID, m.CreatedAt.Format("2006-01-02 15:04:05 UTC"), m.Binary, len(m.Tables), m.Rows(), len(m.Files))

	var st *store.Store
	defer func() {
		if st != nil {
			st.Close()
		}
	}()
	want := map[string]File{}
	for _, f := range m.Files {
		want[f.Name] = f
	}
	restored := map[string]bool{}
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return res, errs.Wrap(errs.Invalid, op, "the backup is damaged or truncated", err)
		}
		switch {
		case hdr.Name == entrySQLite:
			if st, err = restoreSQLite(ctx, tr, m, t); err != nil {
				return res, err
			}
		case hdr.Name == entryDump:
			if st, err = restoreDump(ctx, tr, m, t); err != nil {
				return res, err
			}
		case strings.HasPrefix(hdr.Name, filesPrefix):
			name := strings.TrimPrefix(hdr.Name, filesPrefix)
			f, ok := want[name]
			if !ok || name != path.Clean(name) || strings.HasPrefix(name, "../") || path.IsAbs(name) {
				return res, errs.Newf(errs.Invalid, op, "the backup holds an unexpected file %q", hdr.Name)
			}
			if err := writeFile(tr, filepath.Join(t.DataDir, filepath.FromSlash(name)), f); err != nil {
				return res, err
			}
			restored[name] = true
		default:
			return res, errs.Newf(errs.Invalid, op, "the backup holds an unexpected entry %q", hdr.Name)
		}
	}
	if st == nil {
		return res, errs.New(errs.Invalid, op, "the backup holds no database")
	}
	for _, f := range m.Files {
		if !restored[f.Name] {
			return res, errs.Newf(errs.Invalid, op, "the backup is truncated: file %s is missing", f.Name)
		}
	}
	counts, err := st.CountRows(ctx)
	if err != nil {
		return res, err
	}
	for table, n := range m.Tables {
		if counts[table] != n {
			return res, errs.Newf(errs.Invalid, op, "table %s has %d rows after the restore, the backup %d", table, counts[table], n)
		}
	}
	if m.NodeID != t.NodeID {
		if err := st.SetSetting(ctx, "node_id", t.NodeID); err != nil {
			return res, err
		}
		t.progress("the restored node is now node %q (was %q)", t.NodeID, m.NodeID)
	}
	t.progress("verifying the audit log…")
	var pinned ed25519.PublicKey
	var previous []ed25519.PublicKey
	if _, err := os.Stat(filepath.Join(t.DataDir, identity.KeyFile)); err == nil {
		n, err := identity.LoadOrCreate(t.DataDir, t.NodeID, "")
		if err != nil {
			return res, err
		}
		pinned, previous = n.Public(), n.PreviousPublic()
	}
	res.Audit, err = audit.Verify(ctx, st, audit.VerifyOptions{Pinned: pinned, Previous: previous, NodeID: m.NodeID, Progress: func(done int64) { t.progress("  verified %d audit entries…", done) }})
	if err != nil {
		return res, err
	}
	// A failed verification leaves the data in place: the operator decides,
	// with the problems listed.
	return res, nil
}

func restoreSQLite(ctx context.Context, r io.Reader, m Manifest, t Target) (*store.Store, error) {
	const op = "backup.Restore"
	opt := t.options()
	dst := store.SQLitePath(opt)
	if dst == "" {
		// An SQLite backup into PostgreSQL: through a logical dump.
		tmp := filepath.Join(t.DataDir, ".liaison-restore.db")
		defer os.Remove(tmp)
		if err := copyTo(r, tmp); err != nil {
			return nil, err
		}
		src, err := store.Connect(ctx, store.Options{URL: "sqlite:" + tmp})
		if err != nil {
			return nil, err
		}
		defer src.Close()
		pr, pw := io.Pipe()
		go func() {
			_, err := src.Dump(ctx, pw, nil)
			pw.CloseWithError(err)
		}()
		st, err := loadInto(ctx, pr, m, t)
		pr.Close()
		return st, err
	}
	t.progress("writing the SQLite database %s…", dst)
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return nil, errs.Wrap(errs.Unavailable, op, "cannot create "+filepath.Dir(dst), err)
	}
	if err := copyTo(r, dst+".partial"); err != nil {
		return nil, err
	}
	if err := os.Rename(dst+".partial", dst); err != nil {
		return nil, errs.Wrap(errs.Unavailable, op, "cannot write "+dst, err)
	}
	return store.Connect(ctx, opt)
}

func restoreDump(ctx context.Context, r io.Reader, m Manifest, t Target) (*store.Store, error) {
	if m.DumpFormat != store.DumpFormat {
		return nil, errs.Newf(errs.Invalid, "backup.Restore", "the backup's database dump is in format %q, which this binary does not read", m.DumpFormat)
	}
	return loadInto(ctx, r, m, t)
}

// loadInto builds the backup's schema in the target database and loads a
// dump into it.
func loadInto(ctx context.Context, r io.Reader, m Manifest, t Target) (*store.Store, error) {
	st, err := store.Create(ctx, t.options())
	if err != nil {
		return nil, err
	}
	t.progress("creating the schema (%d migrations)…", len(m.Migrations))
	if err := st.MigrateOnly(ctx, m.Migrations); err != nil {
		st.Close()
		return nil, err
	}
	t.progress("loading the tables…")
	_, err = st.Load(ctx, r, func(table string, rows int64, done bool) {
		if done && rows > 0 {
			t.progress("  %s: %d rows", table, rows)
		} else if !done {
			t.progress("  %s: %d rows so far…", table, rows)
		}
	})
	if err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}

func copyTo(r io.Reader, path string) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return errs.Wrap(errs.Unavailable, "backup.Restore", "cannot write "+path, err)
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		os.Remove(path)
		return errs.Wrap(errs.Invalid, "backup.Restore", "the backup is damaged or truncated", err)
	}
	if err := f.Close(); err != nil {
		return errs.Wrap(errs.Unavailable, "backup.Restore", "cannot write "+path, err)
	}
	return nil
}

func writeFile(r io.Reader, dst string, f File) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return errs.Wrap(errs.Unavailable, "backup.Restore", "cannot create "+filepath.Dir(dst), err)
	}
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, f.Mode.Perm()|0o200)
	if err != nil {
		return errs.Wrap(errs.Unavailable, "backup.Restore", "cannot write "+dst, err)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(out, h), r)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return errs.Wrap(errs.Invalid, "backup.Restore", "the backup is damaged or truncated", err)
	}
	if n != f.Size || hex.EncodeToString(h.Sum(nil)) != f.SHA256 {
		return errs.Newf(errs.Invalid, "backup.Restore", "file %s in the backup does not match its checksum", f.Name)
	}
	return os.Chmod(dst, f.Mode.Perm())
}

// cleanDir removes what a failed restore wrote.
func cleanDir(dir string, created bool) {
	if created {
		os.RemoveAll(dir)
		return
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		os.RemoveAll(filepath.Join(dir, e.Name()))
	}
}
