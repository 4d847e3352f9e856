// Package backup writes and restores a node's encrypted backups: a
// consistent snapshot of the database taken while the node runs (SQLite
// VACUUM INTO, or a logical dump in one REPEATABLE READ transaction on
// PostgreSQL) together with the files of the data directory (node key,
// federation certificate and key), in a gzip-compressed tar encrypted with
// age to one or more recipients.
//
// Archive layout, in this order: manifest.json, then the database
// (db/liaison.db or db/dump.jsonl), then files/NAME for each data file.
package backup

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"filippo.io/age"

	"github.com/liaison-wb/liaison/internal/buildinfo"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/store"
)

// Format names this archive layout.
const Format = "liaison-backup-v1"

// Archive entry names.
const (
	entryManifest = "manifest.json"
	entrySQLite   = "db/liaison.db"
	entryDump     = "db/dump.jsonl"
	filesPrefix   = "files/"
)

// Manifest describes a backup.
type Manifest struct {
	Format     string           `json:"format"`
	NodeID     string           `json:"node_id"`
	CreatedAt  time.Time        `json:"created_at"`
	Binary     string           `json:"binary_version"`
	Dialect    string           `json:"dialect"`
	Migrations []int            `json:"migrations"`
	Database   string           `json:"database"`
	DumpFormat string           `json:"dump_format,omitempty"`
	Tables     map[string]int64 `json:"tables"`
	Files      []File           `json:"files"`
}

// Rows is the total row count.
func (m Manifest) Rows() int64 {
	var n int64
	for _, c := range m.Tables {
		n += c
	}
	return n
}

// File is one data-directory file in a backup.
type File struct {
	Name   string      `json:"name"` // slash-separated, relative to the data directory
	Mode   fs.FileMode `json:"mode"`
	Size   int64       `json:"size"`
	SHA256 string      `json:"sha256"`
}

// Source is what a backup is taken of.
type Source struct {
	Store   *store.Store
	DataDir string
	// TmpDir holds the plaintext database snapshot while it is archived
	// (mode 0600, removed afterwards); default DataDir, which holds the
	// plaintext database anyway.
	TmpDir string
	// Exclude lists paths inside DataDir not to back up (e.g. a backup
	// directory kept there).
	Exclude []string
	Now     func() time.Time
	// Progress receives human-readable progress lines.
	Progress func(msg string)
}

func (s Source) progress(format string, args ...any) {
	if s.Progress != nil {
		s.Progress(fmt.Sprintf(format, args...))
	}
}

// skipFile reports files of the data directory that a backup leaves out:
// the live SQLite database (it goes in as a snapshot) and temporary files.
func skipFile(name string) bool {
	base := filepath.Base(name)
	return strings.HasPrefix(base, "liaison.db") || strings.HasPrefix(base, ".liaison-") || strings.HasSuffix(base, ".partial")
}

// Write takes a backup of src and writes it, encrypted to recipients, to w.
func Write(ctx context.Context, w io.Writer, recipients []age.Recipient, src Source) (Manifest, error) {
	const op = "backup.Write"
	if len(recipients) == 0 {
		return Manifest{}, errs.New(errs.Invalid, op, "at least one recipient is needed: backups are always encrypted")
	}
	now := time.Now
	if src.Now != nil {
		now = src.Now
	}
	st := src.Store
	nodeID, err := st.NodeID(ctx)
	if err != nil {
		return Manifest{}, err
	}
	versions, err := st.AppliedVersions(ctx)
	if err != nil {
		return Manifest{}, err
	}
	m := Manifest{Format: Format, NodeID: nodeID, CreatedAt: now().UTC(), Binary: buildinfo.Read().Version, Dialect: string(st.Dialect), Migrations: versions}
	tmpDir := src.TmpDir
	if tmpDir == "" {
		tmpDir = src.DataDir
	}
	if err := os.MkdirAll(tmpDir, 0o700); err != nil {
		return m, errs.Wrap(errs.Unavailable, op, "cannot create "+tmpDir, err)
	}
	tmp, err := os.MkdirTemp(tmpDir, ".liaison-backup-")
	if err != nil {
		return m, errs.Wrap(errs.Unavailable, op, "cannot create a temporary directory in "+tmpDir, err)
	}
	defer os.RemoveAll(tmp)
	var dbPath string
	if st.Dialect == store.SQLite {
		dbPath = filepath.Join(tmp, "liaison.db")
		src.progress("taking a consistent snapshot of the SQLite database (VACUUM INTO)…")
		if err := st.SnapshotSQLite(ctx, dbPath); err != nil {
			return m, err
		}
		snap, err := store.Connect(ctx, store.Options{URL: "sqlite:" + dbPath})
		if err != nil {
			return m, err
		}
		m.Tables, err = snap.CountRows(ctx)
		snap.Close()
		if err != nil {
			return m, err
		}
		m.Database = entrySQLite
	} else {
		dbPath = filepath.Join(tmp, "dump.jsonl")
		f, err := os.OpenFile(dbPath, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			return m, errs.Wrap(errs.Unavailable, op, "cannot write the dump", err)
		}
		src.progress("dumping every table in one REPEATABLE READ transaction…")
		m.Tables, err = st.Dump(ctx, f, func(table string, rows int64, done bool) {
			if done {
				if rows > 0 {
					src.progress("  %s: %d rows", table, rows)
				}
			} else {
				src.progress("  %s: %d rows so far…", table, rows)
			}
		})
		if cerr := f.Close(); err == nil && cerr != nil {
			err = errs.Wrap(errs.Unavailable, op, "cannot write the dump", cerr)
		}
		if err != nil {
			return m, err
		}
		m.Database, m.DumpFormat = entryDump, store.DumpFormat
	}
	files, err := listFiles(src.DataDir, append(src.Exclude, tmp))
	if err != nil {
		return m, err
	}
	m.Files = files
	info, err := os.Stat(dbPath)
	if err != nil {
		return m, errs.Wrap(errs.Unavailable, op, "cannot read the snapshot", err)
	}
	src.progress("database snapshot: %d tables, %d rows, %s; encrypting to %d recipient(s)…", len(m.Tables), m.Rows(), human(info.Size()), len(recipients))

	cw := &countingWriter{w: w, every: 256 << 20, report: func(n int64) { src.progress("  %s written…", human(n)) }}
	enc, err := age.Encrypt(cw, recipients...)
	if err != nil {
		return m, errs.Wrap(errs.Invalid, op, "cannot encrypt to these recipients", err)
	}
	gz, _ := gzip.NewWriterLevel(enc, gzip.BestSpeed)
	tw := tar.NewWriter(gz)
	manifest, _ := json.MarshalIndent(m, "", "  ")
	if err := addBytes(tw, entryManifest, manifest, m.CreatedAt); err != nil {
		return m, errs.Wrap(errs.Unavailable, op, "cannot write the backup", err)
	}
	if err := addFile(ctx, tw, m.Database, dbPath, 0o600, m.CreatedAt); err != nil {
		return m, errs.Wrap(errs.Unavailable, op, "cannot write the backup", err)
	}
	for _, f := range files {
		if err := addFile(ctx, tw, filesPrefix+f.Name, filepath.Join(src.DataDir, filepath.FromSlash(f.Name)), f.Mode, m.CreatedAt); err != nil {
			return m, errs.Wrap(errs.Unavailable, op, "cannot write the backup", err)
		}
	}
	for _, c := range []io.Closer{tw, gz, enc} {
		if err := c.Close(); err != nil {
			return m, errs.Wrap(errs.Unavailable, op, "cannot write the backup", err)
		}
	}
	return m, nil
}

// listFiles lists the regular files of the data directory to back up, with
// their hashes.
func listFiles(dir string, exclude []string) ([]File, error) {
	var out []File
	ex := map[string]bool{}
	for _, e := range exclude {
		if a, err := filepath.Abs(e); err == nil {
			ex[a] = true
		}
	}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if a, _ := filepath.Abs(path); ex[a] {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || skipFile(path) {
			return nil
		}
		rel, _ := filepath.Rel(dir, path)
		info, err := d.Info()
		if err != nil {
			return err
		}
		sum, err := hashFile(path)
		if err != nil {
			return err
		}
		out = append(out, File{Name: filepath.ToSlash(rel), Mode: info.Mode().Perm(), Size: info.Size(), SHA256: sum})
		return nil
	})
	if err != nil {
		return nil, errs.Wrap(errs.Unavailable, "backup.Write", "cannot read the data directory "+dir, err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func hashFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func addBytes(tw *tar.Writer, name string, data []byte, at time.Time) error {
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: int64(len(data)), ModTime: at, Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	_, err := tw.Write(data)
	return err
}

func addFile(ctx context.Context, tw *tar.Writer, name, path string, mode fs.FileMode, at time.Time) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: int64(mode), Size: info.Size(), ModTime: at, Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	_, err = io.Copy(tw, ctxReader{ctx, f})
	return err
}

// ctxReader stops a long copy when the context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

type countingWriter struct {
	w      io.Writer
	n      int64
	next   int64
	every  int64
	report func(int64)
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	if c.every > 0 && c.n >= c.next+c.every {
		c.next = c.n - c.n%c.every
		c.report(c.n)
	}
	return n, err
}

func human(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// ParseRecipients reads age recipients given as public keys (age1…) or as
// files of them, one a line.
func ParseRecipients(keys, files []string) ([]age.Recipient, error) {
	var out []age.Recipient
	if len(keys) > 0 {
		rs, err := age.ParseRecipients(strings.NewReader(strings.Join(keys, "\n")))
		if err != nil {
			return nil, errs.Wrap(errs.Invalid, "backup.recipients", "a recipient is not an age public key (age1…)", err)
		}
		out = append(out, rs...)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, errs.Wrap(errs.Invalid, "backup.recipients", "cannot read recipients file "+f, err)
		}
		rs, err := age.ParseRecipients(strings.NewReader(string(data)))
		if err != nil {
			return nil, errs.Wrap(errs.Invalid, "backup.recipients", "recipients file "+f+" holds no valid age public key", err)
		}
		out = append(out, rs...)
	}
	return out, nil
}

// ReadIdentities reads an age identity file (AGE-SECRET-KEY-… lines).
func ReadIdentities(path string) ([]age.Identity, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, errs.Wrap(errs.Invalid, "backup.identity", "cannot read identity file "+path, err)
	}
	defer f.Close()
	ids, err := age.ParseIdentities(f)
	if err != nil {
		return nil, errs.Wrap(errs.Invalid, "backup.identity", "identity file "+path+" holds no age secret key", err)
	}
	return ids, nil
}

// NewIdentity generates a post-quantum hybrid age key pair: the secret
// key text for the identity file and the public recipient.
func NewIdentity() (secret, recipient string, err error) {
	id, err := age.GenerateHybridIdentity()
	if err != nil {
		return "", "", errs.Wrap(errs.Internal, "backup.keygen", "cannot generate a key", err)
	}
	return id.String(), id.Recipient().String(), nil
}
