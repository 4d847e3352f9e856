package cli

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/liaison-wb/liaison/internal/buildinfo"
	"github.com/liaison-wb/liaison/internal/clock"
	"github.com/liaison-wb/liaison/internal/config"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/federation"
	"github.com/liaison-wb/liaison/internal/identity"
	"github.com/liaison-wb/liaison/internal/store"
)

// Check outcomes.
const (
	checkOK   = "ok"
	checkWarn = "warn"
	checkFail = "fail"
)

// doctorCheck is one line of `liaison doctor`.
type doctorCheck struct {
	Name    string `json:"name"`
	Status  string `json:"status"`
	Message string `json:"message"`
	Data    any    `json:"data,omitempty"`
}

type doctorReport struct {
	OK     bool          `json:"ok"`
	Node   string        `json:"node"`
	At     time.Time     `json:"at"`
	Checks []doctorCheck `json:"checks"`
}

func (r *doctorReport) add(name, status, format string, args ...any) *doctorCheck {
	r.Checks = append(r.Checks, doctorCheck{Name: name, Status: status, Message: fmt.Sprintf(format, args...)})
	return &r.Checks[len(r.Checks)-1]
}

// doctorLimits are the thresholds of the checks.
type doctorLimits struct {
	backupMaxAge time.Duration
	verifyMaxAge time.Duration
	certWarn     time.Duration
	minFree      int64
	skewWarn     time.Duration
	skewFail     time.Duration
	peerTimeout  time.Duration
	backlogAge   time.Duration
}

func runDoctor(ctx context.Context, env Env, args []string) error {
	fs := flagSet(env, "doctor", "doctor [--data DIR | --db URL] [--json]")
	cfg, load := nodeConfig(fs)
	asJSON := fs.Bool("json", false, "print the checks as JSON")
	lim := doctorLimits{skewWarn: 30 * time.Second, skewFail: federation.DefaultConfig().MaxSkew, backlogAge: time.Hour}
	durFlag(fs, &lim.backupMaxAge, "backup-max-age", 48*time.Hour, "fail when the last backup is older than this")
	durFlag(fs, &lim.verifyMaxAge, "verify-max-age", 8*24*time.Hour, "warn when the last audit verify is older than this")
	durFlag(fs, &lim.certWarn, "cert-warn", 30*24*time.Hour, "warn when the federation certificate expires within this")
	durFlag(fs, &lim.peerTimeout, "peer-timeout", 10*time.Second, "how long to wait for each peer")
	minFreeMB := fs.Int64("min-free-mb", 1024, "fail when the data directory's file system has less free space (MiB)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	lim.minFree = *minFreeMB << 20
	rep := &doctorReport{At: time.Now().UTC()}
	if err := load(env.Getenv); err != nil {
		rep.add("config", checkFail, "%s", errs.SafeMessage(err))
	} else {
		rep.Node = cfg.NodeID
		rep.add("config", checkOK, "valid (node %s, %s)", cfg.NodeID, dbKind(cfg))
		diagnose(ctx, rep, *cfg, lim)
	}
	return printDoctor(env, rep, *asJSON)
}

func durFlag(fs *flag.FlagSet, p *time.Duration, name string, def time.Duration, usage string) {
	*p = def
	fs.Var((*durValue)(p), name, usage)
}

type durValue time.Duration

func (d *durValue) Set(v string) error {
	p, err := config.ParseDuration(v)
	*d = durValue(p)
	return err
}
func (d *durValue) String() string { return time.Duration(*d).String() }

func dbKind(cfg *config.Config) string {
	if cfg.UsesPostgres() {
		return "PostgreSQL"
	}
	return "SQLite in " + cfg.DataDir
}

func printDoctor(env Env, rep *doctorReport, asJSON bool) error {
	var failed []string
	for _, c := range rep.Checks {
		if c.Status == checkFail {
			failed = append(failed, c.Name)
		}
	}
	rep.OK = len(failed) == 0
	if asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		for _, c := range rep.Checks {
			fmt.Fprintf(env.Stdout, "%-4s  %-14s %s\n", strings.ToUpper(c.Status), c.Name, oneLine(c.Message))
		}
	}
	if len(failed) > 0 {
		return errs.Newf(errs.Unavailable, "doctor", "%d of %d checks failed: %s", len(failed), len(rep.Checks), strings.Join(failed, ", "))
	}
	return nil
}

// diagnose runs every check after the configuration loaded.
func diagnose(ctx context.Context, rep *doctorReport, cfg config.Config, lim doctorLimits) {
	st := checkDatabase(ctx, rep, cfg)
	if st != nil {
		defer st.Close()
	}
	node := checkNodeKey(rep, cfg)
	cert := checkTLS(rep, cfg, lim)
	checkDisk(rep, cfg, lim)
	if st == nil {
		return
	}
	checkPeers(ctx, rep, cfg, st, node, cert, lim)
	checkLast(ctx, rep, st, "backup", store.SettingLastBackup, lim.backupMaxAge, checkFail,
		"no backup recorded; run liaison backup --out FILE --recipient KEY")
	checkLast(ctx, rep, st, "audit-verify", store.SettingLastAuditVerify, lim.verifyMaxAge, checkWarn,
		"audit verify has not been run on this node; run liaison audit verify")
}

func checkDatabase(ctx context.Context, rep *doctorReport, cfg config.Config) *store.Store {
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	st, err := store.Connect(cctx, store.Options{URL: cfg.DB, DataDir: cfg.DataDir})
	if err != nil {
		msg := errs.SafeMessage(err)
		if errs.Is(err, errs.Unavailable) {
			msg += " (" + rootCause(err) + ")"
		}
		rep.add("database", checkFail, "%s", msg)
		return nil
	}
	pending, unknown, err := st.MigrationStatus(ctx)
	switch {
	case err != nil:
		rep.add("database", checkFail, "reachable but the schema cannot be read: %s", errs.SafeMessage(err))
	case len(unknown) > 0:
		rep.add("database", checkFail, "the database has migrations %v that this binary does not know: it is newer than liaison %s; upgrade the binary", unknown, versionString())
	case len(pending) > 0:
		var names []string
		for _, m := range pending {
			names = append(names, fmt.Sprintf("%04d_%s", m.Version, m.Name))
		}
		c := rep.add("database", checkFail, "reachable (%s); %d pending migration(s): %s; take a backup, then run liaison migrate", st.Dialect, len(pending), strings.Join(names, ", "))
		c.Data = map[string]any{"pending": names}
	default:
		v, _ := st.AppliedVersion(ctx)
		rep.add("database", checkOK, "reachable (%s), schema at migration %d, nothing pending", st.Dialect, v)
	}
	if id, err := st.NodeID(ctx); err == nil && id != cfg.NodeID {
		rep.add("node-id", checkFail, "the database belongs to node %q but the configuration says %q", id, cfg.NodeID)
	}
	return st
}

// checkKeyFile checks that a private key file exists and only its owner may read it.
func checkKeyFile(rep *doctorReport, name, path string) bool {
	info, err := os.Stat(path)
	if err != nil {
		rep.add(name, checkFail, "%s is missing or unreadable: %v", path, errors.Unwrap(err))
		return false
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		rep.add(name, checkFail, "%s has mode %04o: it must be readable only by its owner (chmod 600 %s)", path, perm, path)
		return false
	}
	if _, err := os.ReadFile(path); err != nil {
		rep.add(name, checkFail, "%s cannot be read by this user: %v", path, errors.Unwrap(err))
		return false
	}
	owner := ""
	if sys, ok := info.Sys().(*syscall.Stat_t); ok {
		owner = fmt.Sprintf(", owner uid %d", sys.Uid)
		if int(sys.Uid) != os.Getuid() && os.Getuid() != 0 {
			rep.add(name, checkWarn, "%s belongs to uid %d, not to the user running this check (uid %d)", path, sys.Uid, os.Getuid())
			return true
		}
	}
	rep.add(name, checkOK, "%s mode %04o%s", path, info.Mode().Perm(), owner)
	return true
}

func checkNodeKey(rep *doctorReport, cfg config.Config) *identity.Node {
	path := filepath.Join(cfg.DataDir, identity.KeyFile)
	if !checkKeyFile(rep, "node-key", path) {
		return nil
	}
	n, err := identity.Load(cfg.DataDir, cfg.NodeID, cfg.NodeName)
	if err != nil {
		rep.Checks[len(rep.Checks)-1] = doctorCheck{Name: "node-key", Status: checkFail, Message: errs.SafeMessage(err)}
		return nil
	}
	rep.Checks[len(rep.Checks)-1].Message += ", public key " + n.PublicString()
	if len(n.Previous) > 0 {
		rep.Checks[len(rep.Checks)-1].Message += fmt.Sprintf(", %d earlier key(s)", len(n.Previous))
	}
	if identity.RotationPending(cfg.DataDir) {
		rep.add("node-key", checkWarn, "a key rotation was interrupted after it was announced; the next start of the node completes it")
	}
	earlier, _ := filepath.Glob(filepath.Join(cfg.DataDir, identity.KeyFile+".*"))
	for _, p := range earlier {
		if info, err := os.Stat(p); err == nil && info.Mode().Perm()&0o077 != 0 {
			rep.add("node-key", checkFail, "%s has mode %04o: it must be readable only by its owner (chmod 600 %s)", p, info.Mode().Perm(), p)
		}
	}
	return n
}

func checkTLS(rep *doctorReport, cfg config.Config, lim doctorLimits) *tls.Certificate {
	keyOK := checkKeyFile(rep, "tls-key", filepath.Join(cfg.DataDir, federation.KeyFile))
	certPath := filepath.Join(cfg.DataDir, federation.CertFile)
	data, err := os.ReadFile(certPath)
	if err != nil {
		rep.add("tls-cert", checkFail, "%s is missing or unreadable; run liaison federation init", certPath)
		return nil
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE" {
		rep.add("tls-cert", checkFail, "%s is not a PEM certificate", certPath)
		return nil
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		rep.add("tls-cert", checkFail, "%s cannot be parsed: %v", certPath, err)
		return nil
	}
	now := time.Now()
	left := c.NotAfter.Sub(now)
	days := int(left.Hours() / 24)
	data2 := map[string]any{"not_after": c.NotAfter.UTC(), "days_left": days, "sha256": federation.Fingerprint(c.Raw)}
	var chk *doctorCheck
	switch {
	case now.After(c.NotAfter):
		chk = rep.add("tls-cert", checkFail, "federation certificate expired on %s (%d days ago); renew it and give peers the new fingerprint", c.NotAfter.UTC().Format("2006-01-02"), -days)
	case now.Before(c.NotBefore):
		chk = rep.add("tls-cert", checkFail, "federation certificate is not valid before %s; check the clock", c.NotBefore.UTC().Format(time.RFC3339))
	case left < lim.certWarn:
		chk = rep.add("tls-cert", checkWarn, "federation certificate expires on %s, in %d days", c.NotAfter.UTC().Format("2006-01-02"), days)
	default:
		chk = rep.add("tls-cert", checkOK, "valid until %s (%d days), SHA-256 %s", c.NotAfter.UTC().Format("2006-01-02"), days, federation.Fingerprint(c.Raw))
	}
	chk.Data = data2
	if !keyOK {
		return nil
	}
	pair, err := tls.LoadX509KeyPair(certPath, filepath.Join(cfg.DataDir, federation.KeyFile))
	if err != nil {
		rep.add("tls-cert", checkFail, "certificate and key do not belong together: %v", err)
		return nil
	}
	return &pair
}

func checkDisk(rep *doctorReport, cfg config.Config, lim doctorLimits) {
	var sfs syscall.Statfs_t
	if err := syscall.Statfs(cfg.DataDir, &sfs); err != nil {
		rep.add("disk", checkFail, "cannot read the file system of %s: %v", cfg.DataDir, err)
		return
	}
	free := int64(sfs.Bavail) * int64(sfs.Bsize)
	total := int64(sfs.Blocks) * int64(sfs.Bsize)
	pct := 0.0
	if total > 0 {
		pct = 100 * float64(free) / float64(total)
	}
	var c *doctorCheck
	switch {
	case free < lim.minFree:
		c = rep.add("disk", checkFail, "%s has %s free (%.1f%%), less than the %s minimum", cfg.DataDir, humanBytes(free), pct, humanBytes(lim.minFree))
	case pct < 10:
		c = rep.add("disk", checkWarn, "%s has %s free (%.1f%%)", cfg.DataDir, humanBytes(free), pct)
	default:
		c = rep.add("disk", checkOK, "%s has %s free (%.1f%%)", cfg.DataDir, humanBytes(free), pct)
	}
	c.Data = map[string]any{"free_bytes": free, "total_bytes": total}
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

func checkPeers(ctx context.Context, rep *doctorReport, cfg config.Config, st *store.Store, node *identity.Node, cert *tls.Certificate, lim doctorLimits) {
	if node == nil {
		node = &identity.Node{ID: cfg.NodeID}
	}
	fcfg := federation.DefaultConfig()
	fcfg.Insecure = cfg.InsecureFederation
	fed := federation.New(federation.Deps{Store: st, Node: node, Clock: clock.System{}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), TLS: cert}, fcfg)
	if b, err := fed.OutboxBacklog(ctx); err != nil {
		rep.add("outbox", checkFail, "%s", errs.SafeMessage(err))
	} else {
		msg := fmt.Sprintf("%d queued, %d awaiting the NCU, %d refused by peers", b.Queued, b.AwaitingNCU, b.Failed)
		status := checkOK
		if !b.OldestQueued.IsZero() {
			age := time.Since(b.OldestQueued).Round(time.Second)
			msg += fmt.Sprintf("; oldest queued %s ago", age)
			if age > lim.backlogAge {
				status = checkWarn
			}
		}
		rep.add("outbox", status, "%s", msg).Data = b
	}
	peers, err := fed.Peers(ctx)
	if err != nil {
		rep.add("peers", checkFail, "%s", errs.SafeMessage(err))
		return
	}
	if len(peers) == 0 {
		rep.add("peers", checkOK, "no peers configured")
		return
	}
	for _, p := range peers {
		name := "peer " + p.ID
		if p.Suspended {
			rep.add(name, checkOK, "suspended; not probed")
			continue
		}
		if node.Key == nil {
			rep.add(name, checkFail, "cannot probe %s without the node key", p.URL)
			continue
		}
		pctx, cancel := context.WithTimeout(ctx, lim.peerTimeout)
		pr, err := fed.ProbePeer(pctx, p.ID)
		cancel()
		if err != nil {
			msg := errs.SafeMessage(err)
			if c := rootCause(err); c != "" && !strings.Contains(msg, c) {
				msg += " (" + c + ")"
			}
			rep.add(name, checkFail, "%s: %s", p.URL, msg)
			continue
		}
		skew := pr.Skew.Round(time.Millisecond)
		abs := max(skew, -skew)
		status := checkOK
		switch {
		case abs > lim.skewFail:
			status = checkFail
		case abs > lim.skewWarn:
			status = checkWarn
		}
		c := rep.add(name, status, "%s reachable in %s, clock skew %s, version %s", p.URL, pr.RTT.Round(time.Millisecond), skew, pr.Version)
		c.Data = map[string]any{"url": p.URL, "rtt_ms": pr.RTT.Milliseconds(), "skew_ms": skew.Milliseconds(), "version": pr.Version}
	}
}

func checkLast(ctx context.Context, rep *doctorReport, st *store.Store, name, key string, maxAge time.Duration, staleStatus, never string) {
	rec, ok, err := st.LastOps(ctx, key)
	switch {
	case err != nil:
		rep.add(name, checkWarn, "%s", errs.SafeMessage(err))
	case !ok:
		rep.add(name, checkWarn, "%s", never)
	case !rec.OK:
		rep.add(name, checkFail, "last run on %s failed: %s", rec.At.Format(time.RFC3339), rec.Detail).Data = rec
	default:
		age := time.Since(rec.At).Round(time.Minute)
		status := checkOK
		if age > maxAge {
			status = staleStatus
		}
		detail := rec.Detail
		if rec.File != "" {
			detail = strings.TrimSpace(rec.File + " " + detail)
		}
		rep.add(name, status, "last on %s (%s ago) %s", rec.At.Format(time.RFC3339), age, detail).Data = rec
	}
}

func versionString() string { return buildinfo.Read().Version }
