package backup

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"filippo.io/age"

	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/store"
)

// ToFile writes a backup to path atomically (path.partial, then rename,
// mode 0600) and records it in the database for liaison doctor. It returns
// the manifest and the file's size.
func ToFile(ctx context.Context, path string, rs []age.Recipient, src Source) (Manifest, int64, error) {
	const op = "backup"
	if abs, err := filepath.Abs(path); err == nil {
		src.Exclude = append(src.Exclude, abs, abs+".partial")
	}
	tmp := path + ".partial"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return Manifest{}, 0, errs.Wrap(errs.Unavailable, op, "cannot create "+tmp, err)
	}
	m, err := Write(ctx, f, rs, src)
	if err == nil {
		if serr := f.Sync(); serr != nil {
			err = errs.Wrap(errs.Unavailable, op, "cannot write "+tmp, serr)
		}
	}
	if cerr := f.Close(); err == nil && cerr != nil {
		err = errs.Wrap(errs.Unavailable, op, "cannot write "+tmp, cerr)
	}
	if err == nil {
		if rerr := os.Rename(tmp, path); rerr != nil {
			err = errs.Wrap(errs.Unavailable, op, "cannot rename "+tmp, rerr)
		}
	}
	if err != nil {
		os.Remove(tmp)
		return m, 0, err
	}
	info, err := os.Stat(path)
	if err != nil {
		return m, 0, errs.Wrap(errs.Unavailable, op, "cannot read "+path, err)
	}
	abs, _ := filepath.Abs(path)
	rec := store.OpsRecord{At: time.Now().UTC(), OK: true, File: abs, Bytes: info.Size(), Detail: fmt.Sprintf("(%d rows)", m.Rows())}
	if err := src.Store.RecordOps(ctx, store.SettingLastBackup, rec); err != nil {
		src.progress("warning: could not record the backup for liaison doctor: %s", errs.SafeMessage(err))
	}
	return m, info.Size(), nil
}

// Schedule takes a backup into Dir every Every and keeps the newest Keep.
type Schedule struct {
	Every      time.Duration
	Keep       int
	Dir        string
	Recipients []age.Recipient
	Source     Source
	Logger     *slog.Logger
}

// filePrefix names scheduled backups: liaison-NODE-20260102T030405Z.age.
const filePrefix = "liaison-"

// Run takes scheduled backups until ctx ends.
func (s Schedule) Run(ctx context.Context) {
	t := time.NewTicker(s.Every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := s.Once(ctx); err != nil && ctx.Err() == nil {
			s.Logger.Error("scheduled backup failed", "dir", s.Dir, "err", err)
		}
	}
}

// Once takes one scheduled backup and prunes old ones; it returns the file.
func (s Schedule) Once(ctx context.Context) (string, error) {
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return "", errs.Wrap(errs.Unavailable, "backup", "cannot create "+s.Dir, err)
	}
	nodeID, err := s.Source.Store.NodeID(ctx)
	if err != nil {
		return "", err
	}
	now := time.Now().UTC()
	if s.Source.Now != nil {
		now = s.Source.Now().UTC()
	}
	path := filepath.Join(s.Dir, filePrefix+nodeID+"-"+now.Format("20060102T150405.000Z")+".age")
	start := time.Now()
	m, size, err := ToFile(ctx, path, s.Recipients, s.Source)
	if err != nil {
		return "", err
	}
	s.Logger.Info("scheduled backup written", "file", path, "bytes", size, "rows", m.Rows(), "took", time.Since(start).Round(time.Millisecond))
	removed, err := Prune(s.Dir, nodeID, s.Keep)
	for _, r := range removed {
		s.Logger.Info("old backup removed", "file", r)
	}
	return path, err
}

// Prune removes all but the newest keep scheduled backups of node in dir.
func Prune(dir, nodeID string, keep int) ([]string, error) {
	if keep < 1 {
		return nil, nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, errs.Wrap(errs.Unavailable, "backup.Prune", "cannot read "+dir, err)
	}
	var names []string
	for _, e := range entries {
		n := e.Name()
		if e.Type().IsRegular() && strings.HasPrefix(n, filePrefix+nodeID+"-") && strings.HasSuffix(n, ".age") {
			names = append(names, n)
		}
	}
	sort.Strings(names) // the timestamp sorts in time order
	var removed []string
	for len(names) > keep {
		p := filepath.Join(dir, names[0])
		if err := os.Remove(p); err != nil {
			return removed, errs.Wrap(errs.Unavailable, "backup.Prune", "cannot remove "+p, err)
		}
		removed = append(removed, p)
		names = names[1:]
	}
	return removed, nil
}
