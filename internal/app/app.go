// Package app wires configuration, storage and services into a running node.
package app

import (
	"context"
	"crypto/tls"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/liaison-wb/liaison/internal/activities"
	"github.com/liaison-wb/liaison/internal/alerts"
	"github.com/liaison-wb/liaison/internal/analysis"
	"github.com/liaison-wb/liaison/internal/assets"
	"github.com/liaison-wb/liaison/internal/audit"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/backup"
	"github.com/liaison-wb/liaison/internal/buildinfo"
	"github.com/liaison-wb/liaison/internal/cases"
	"github.com/liaison-wb/liaison/internal/clock"
	"github.com/liaison-wb/liaison/internal/config"
	"github.com/liaison-wb/liaison/internal/directory"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/exchange"
	"github.com/liaison-wb/liaison/internal/federation"
	"github.com/liaison-wb/liaison/internal/i18n"
	"github.com/liaison-wb/liaison/internal/identity"
	"github.com/liaison-wb/liaison/internal/jit"
	"github.com/liaison-wb/liaison/internal/mla"
	"github.com/liaison-wb/liaison/internal/operations"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/web"
	"github.com/liaison-wb/liaison/internal/witness"
)

// Node is one running Liaison node.
type Node struct {
	Cfg      config.Config
	Logger   *slog.Logger
	Clock    clock.Clock
	Store    *store.Store
	Identity *identity.Node
	Audit    *audit.Log
	Auth     *auth.Service
	Web      *web.Server
	Fed      *federation.Service
	Dir      *directory.Service
	Acts     *activities.Service
	Cases    *cases.Service
	Exchange *exchange.Service
	JIT      *jit.Service
	MLA      *mla.Service
	Alerts   *alerts.Service
	Ops      *operations.Service
	Analysis *analysis.Service
	Assets   *assets.Service
	Witness  *witness.Service
	DirPub   *directory.Publisher
	FedTLS   tls.Certificate

	backups *backup.Schedule

	httpSrv  *http.Server
	fedSrv   *http.Server
	listener net.Listener
	fedLn    net.Listener
	metSrv   *http.Server
	metLn    net.Listener
	bg       context.Context // background loops' context, cancelled by Close
	leader   *store.Leadership
	dirLock  *os.File // the SQLite data directory's lock while serving
	cancel   context.CancelFunc
	wg       sync.WaitGroup
}

// Open builds a node: database (migrated), key, audit log, services. When
// the node has no users it creates the first administrator and writes the
// one-time password to out.
func Open(ctx context.Context, cfg config.Config, logger *slog.Logger, clk clock.Clock, out io.Writer) (*Node, error) {
	st, err := store.Open(ctx, store.Options{URL: cfg.DB, DataDir: cfg.DataDir})
	if err != nil {
		return nil, err
	}
	n := &Node{Cfg: cfg, Logger: logger, Clock: clk, Store: st}
	if err := n.init(ctx, out); err != nil {
		st.Close()
		return nil, err
	}
	return n, nil
}

func (n *Node) init(ctx context.Context, out io.Writer) error {
	if err := n.checkNodeID(ctx); err != nil {
		return err
	}
	var err error
	if n.Identity, err = identity.LoadOrCreate(n.Cfg.DataDir, n.Cfg.NodeID, n.Cfg.NodeName); err != nil {
		return err
	}
	if n.Audit, err = audit.Open(ctx, n.Store, n.Identity, n.Clock, n.Logger); err != nil {
		return err
	}
	// Reference data (countries, mechanisms, conventions) is seeded on every
	// start; seeding is idempotent and never overwrites local edits.
	n.Dir = directory.New(n.Store, n.Audit, n.Clock, n.Logger.With("component", "directory"), n.Cfg.NodeID)
	if _, err := n.Dir.Seed(ctx); err != nil {
		return err
	}
	settings := auth.DefaultSettings()
	settings.SessionTTL = n.Cfg.SessionTTL
	if settings.SessionMax < settings.SessionTTL {
		settings.SessionMax = settings.SessionTTL
	}
	n.Auth = auth.NewService(n.Store, n.Audit, n.Clock, n.Logger, settings)
	created, pw, err := n.Auth.EnsureAdmin(ctx, n.Cfg.NodeID+"-admin", n.Cfg.AdminPassword)
	if err != nil {
		return err
	}
	if created && n.Cfg.AdminPassword == "" && out != nil {
		fmt.Fprintf(out, "\nFirst start: created user \"admin\" with one-time password %s\nLog in and choose a new password.\n\n", pw)
	}
	certs, err := federation.LoadCerts(n.Cfg.DataDir, n.Cfg.NodeID)
	if err != nil {
		return err
	}
	n.FedTLS = certs.Current()
	fcfg := federation.DefaultConfig()
	fcfg.Insecure = n.Cfg.InsecureFederation
	n.Fed = federation.New(federation.Deps{Store: n.Store, Audit: n.Audit, Node: n.Identity, Clock: n.Clock, Logger: n.Logger.With("component", "federation"), TLS: &n.FedTLS, Certs: certs}, fcfg)
	n.Exchange = exchange.New(exchange.Deps{Store: n.Store, Audit: n.Audit, Fed: n.Fed, Clock: n.Clock, Logger: n.Logger.With("component", "exchange"),
		Mailer: exchange.NewSMTPMailer(exchange.SMTPConfig{Addr: n.Cfg.SMTPAddr, From: n.Cfg.SMTPFrom, Username: n.Cfg.SMTPUsername, Password: n.Cfg.SMTPPassword})},
		exchange.Config{UrgentDeadline: n.Cfg.ExchangeUrgentDeadline, DatabaseDeadline: n.Cfg.ExchangeDatabaseDeadline, DefaultDeadline: n.Cfg.ExchangeDefaultDeadline,
			Retention: n.Cfg.ExchangeRetention, RetentionAction: n.Cfg.ExchangeRetentionAction, BaseURL: n.Cfg.PublicURL})
	n.Exchange.Register(n.Fed)
	n.Acts = activities.New(activities.Deps{Store: n.Store, Audit: n.Audit, Fed: n.Fed, Clock: n.Clock, Logger: n.Logger.With("component", "activities"), Node: n.Cfg.NodeID})
	n.Acts.Register(n.Fed)
	priv, err := privateConfig(n.Cfg)
	if err != nil {
		return err
	}
	n.Cases = cases.New(cases.Deps{Store: n.Store, Audit: n.Audit, Clock: n.Clock, Logger: n.Logger.With("component", "cases"), NodeID: n.Cfg.NodeID,
		Region: cases.RegionOf(n.Cfg.NodeID), Exchange: casesReleaseSender(n.Exchange), Private: priv})
	n.Cases.RegisterFederation(n.Fed)
	n.Exchange.SetCaseImporter(exchangeCaseImporter(n.Cases))
	n.DirPub = directory.NewPublisher(n.Dir, n.Fed)
	n.JIT = jit.New(jit.Deps{Store: n.Store, Audit: n.Audit, Fed: n.Fed, Clock: n.Clock, Logger: n.Logger.With("component", "jit"), Node: n.Cfg.NodeID,
		FileKey: jit.FileKeyFrom(n.Identity.Original()), Cases: n.Cases}, jit.DefaultConfig())
	n.JIT.Register(n.Fed)
	n.MLA = mla.New(mla.Deps{Store: n.Store, Audit: n.Audit, Fed: n.Fed, Dir: n.Dir, Clock: n.Clock, Logger: n.Logger.With("component", "mla"), NodeID: n.Cfg.NodeID},
		mla.Config{RecogniseDeadline: n.Cfg.MLARecogniseDeadline, Extension: n.Cfg.MLAExtension, ExecuteDeadline: n.Cfg.MLAExecuteDeadline})
	n.MLA.Register(n.Fed)
	n.Dir.RegisterUsageSource("mla", n.MLA)
	n.Alerts = alerts.New(alerts.Deps{Store: n.Store, Audit: n.Audit, Fed: n.Fed, Dir: n.Dir, Clock: n.Clock, Logger: n.Logger.With("component", "alerts"),
		NodeID: n.Cfg.NodeID, Region: cases.RegionOf(n.Cfg.NodeID), Model: n.Cases.Model}, alerts.Config{HitDeadline: n.Cfg.AlertsHitDeadline, TraceDeadline: n.Cfg.AlertsTraceDeadline,
		WarnBefore: n.Cfg.AlertsReviewWarning, Review: map[string]time.Duration{alerts.KindCheck: n.Cfg.AlertsReviewCheck, alerts.KindMissing: n.Cfg.AlertsReviewMissing,
			alerts.KindJudicial: n.Cfg.AlertsReviewJudicial, alerts.KindArrest: n.Cfg.AlertsReviewArrest, alerts.KindObject: n.Cfg.AlertsReviewObject}})
	n.Alerts.Register(n.Fed)
	n.Ops = operations.New(operations.Deps{Store: n.Store, Audit: n.Audit, Fed: n.Fed, Dir: n.Dir, Clock: n.Clock, Logger: n.Logger.With("component", "operations"),
		NodeID: n.Cfg.NodeID}, operations.Config{ReportWithin: n.Cfg.OpsReportWithin, SurveillanceDeadline: n.Cfg.OpsSurveillanceDeadline})
	n.Ops.Register(n.Fed)
	n.Analysis = analysis.New(analysis.Deps{Store: n.Store, Audit: n.Audit, Fed: n.Fed, Cases: n.Cases, Needs: n.Acts, Clock: n.Clock, Logger: n.Logger.With("component", "analysis"), NodeID: n.Cfg.NodeID})
	n.Analysis.Register(n.Fed)
	n.Assets = assets.New(assets.Deps{Store: n.Store, Audit: n.Audit, Fed: n.Fed, Cases: n.Cases, Clock: n.Clock, Logger: n.Logger.With("component", "assets"), NodeID: n.Cfg.NodeID})
	n.Assets.Register(n.Fed)
	if n.Witness, err = witness.New(witness.Deps{Store: n.Store, Audit: n.Audit, Fed: n.Fed, Node: n.Identity, Clock: n.Clock, Logger: n.Logger.With("component", "witness")}); err != nil {
		return err
	}
	n.Witness.Register(n.Fed)
	cat, err := i18n.Load()
	if err != nil {
		return errs.Wrap(errs.Internal, "app", "message catalogues are broken", err)
	}
	if n.Cfg.BackupEvery > 0 {
		rs, err := backup.ParseRecipients(n.Cfg.BackupRecipients(), nonEmpty(n.Cfg.BackupRecipientsFile))
		if err != nil {
			return errs.Wrap(errs.Invalid, "config", "backup-recipient: "+errs.SafeMessage(err), err)
		}
		n.backups = &backup.Schedule{Every: n.Cfg.BackupEvery, Keep: int(n.Cfg.BackupKeep), Dir: n.Cfg.BackupDir, Recipients: rs,
			Source: backup.Source{Store: n.Store, DataDir: n.Cfg.DataDir, Exclude: []string{n.Cfg.BackupDir}}, Logger: n.Logger.With("component", "backup")}
	}
	proxies, err := n.Cfg.TrustedProxyPrefixes()
	if err != nil {
		return err
	}
	n.Web, err = web.New(web.Deps{TrustedProxies: proxies, MetricsToken: n.Cfg.MetricsToken, MetricsElsewhere: n.Cfg.MetricsAddr != "", Store: n.Store, Audit: n.Audit, Auth: n.Auth, Node: n.Identity, Clock: n.Clock, Logger: n.Logger,
		Catalog: cat, Federation: n.Fed, Directory: n.Dir, Activities: n.Acts, Cases: n.Cases, Exchange: n.Exchange, JIT: n.JIT, MLA: n.MLA, Alerts: n.Alerts, Ops: n.Ops, Analysis: n.Analysis, Assets: n.Assets, Witness: n.Witness, Version: buildinfo.Read().Version, SecureCookies: n.Cfg.SecureCookies, MaxBodyBytes: n.Cfg.MaxBodyBytes})
	if err != nil {
		return errs.Wrap(errs.Internal, "app", "web templates are broken", err)
	}
	return nil
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

// checkNodeID binds the database to one node ID on first start, so a node
// restarted with another --node-id cannot sign with the wrong identity.
func (n *Node) checkNodeID(ctx context.Context) error {
	var stored string
	err := n.Store.QueryRowContext(ctx, `SELECT value FROM node_settings WHERE key = 'node_id'`).Scan(&stored)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if _, err := n.Store.ExecContext(ctx, `INSERT INTO node_settings (key, value) VALUES ('node_id', ?)`, n.Cfg.NodeID); err != nil {
			return errs.Wrap(errs.Unavailable, "app", "cannot record the node ID", err)
		}
		return nil
	case err != nil:
		return errs.Wrap(errs.Unavailable, "app", "cannot read node settings", err)
	case stored != n.Cfg.NodeID:
		return errs.Newf(errs.Invalid, "config", "this database belongs to node %q but the node was started with --node-id %q", stored, n.Cfg.NodeID)
	}
	return nil
}

// Start listens on the configured address and serves in the background.
func (n *Node) Start(ctx context.Context) error {
	if err := n.lockDataDir(); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", n.Cfg.Addr)
	if err != nil {
		n.releaseDataDir()
		return errs.Wrap(errs.Unavailable, "app.Start", "cannot listen on "+n.Cfg.Addr, err)
	}
	n.listener = ln
	n.httpSrv = &http.Server{Handler: n.Web.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 60 * time.Second,
		WriteTimeout: 120 * time.Second, IdleTimeout: 120 * time.Second, MaxHeaderBytes: 64 << 10,
		ErrorLog: slog.NewLogLogger(n.Logger.Handler(), slog.LevelWarn)}
	n.httpSrv.RegisterOnShutdown(n.Web.CloseStreams) // live boards' event streams end with the server
	if n.Cfg.FederationAddr != "" {
		fln, err := net.Listen("tcp", n.Cfg.FederationAddr)
		if err != nil {
			ln.Close()
			return errs.Wrap(errs.Unavailable, "app.Start", "cannot listen on federation address "+n.Cfg.FederationAddr, err)
		}
		n.fedLn = tls.NewListener(fln, n.Fed.ServerTLSConfig())
		mux := http.NewServeMux()
		mux.Handle("POST "+federation.InboxPath, n.Fed.InboxHandler())
		mux.Handle("POST "+federation.CallPrefix+witness.CallHeld, n.Witness.CallHandler())
		mux.Handle("POST "+federation.CallPrefix+federation.CallHealth, n.Fed.HealthHandler())
		n.fedSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 60 * time.Second, WriteTimeout: 60 * time.Second,
			ErrorLog: slog.NewLogLogger(n.Logger.Handler(), slog.LevelWarn)}
	}
	if n.Cfg.MetricsAddr != "" {
		mln, err := net.Listen("tcp", n.Cfg.MetricsAddr)
		if err != nil {
			ln.Close()
			if n.fedLn != nil {
				n.fedLn.Close()
			}
			return errs.Wrap(errs.Unavailable, "app.Start", "cannot listen on metrics address "+n.Cfg.MetricsAddr, err)
		}
		n.metLn = mln
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", n.Web.MetricsHandler())
		n.metSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second,
			ErrorLog: slog.NewLogLogger(n.Logger.Handler(), slog.LevelWarn)}
	}
	n.bg, n.cancel = context.WithCancel(context.WithoutCancel(ctx))
	if n.metSrv != nil {
		n.serve("metrics", n.metSrv, n.metLn)
	}
	if n.fedSrv != nil {
		n.serve("federation", n.fedSrv, n.fedLn)
	}
	// Every instance serves, keeps its in-memory indexes and reloads its
	// certificate; one instance at a time (the leader) does the node's
	// background work.
	follow := time.Duration(0)
	if n.Store.Dialect == store.Postgres {
		follow = n.Cfg.InstanceSync
	}
	n.run("certificate reload", func(ctx context.Context) { n.Fed.RunCertReload(ctx, 30*time.Second) })
	n.run("cases index", func(ctx context.Context) { n.Cases.RunIndex(ctx, follow) })
	n.run("alerts index", func(ctx context.Context) { n.Alerts.RunIndex(ctx, follow) })
	if follow > 0 {
		n.run("operations boards", func(ctx context.Context) { n.Ops.Follow(ctx, follow) })
	}
	n.serve("http", n.httpSrv, ln)
	n.leader = n.Store.NewLeadership(n.Cfg.NodeID, n.Cfg.InstanceSync, n.Logger.With("component", "leader"))
	n.run("leadership", func(ctx context.Context) { n.leader.Run(ctx, n.lead) })
	n.Logger.Info("node started", "node", n.Cfg.NodeID, "url", n.URL(), "db", string(n.Store.Dialect))
	return nil
}

// lead runs the node's background work while this instance leads:
// federation delivery and receipt, answering queries, deadlines,
// retention, the audit outbox and checkpoints, backups. It returns when
// ctx ends (shutdown or lost leadership) and every loop has stopped.
func (n *Node) lead(ctx context.Context) {
	var wg sync.WaitGroup
	loop := func(name string, fn func(ctx context.Context)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(ctx)
			n.Logger.Debug("background loop stopped", "loop", name)
		}()
	}
	loop("federation delivery", n.Fed.Run)
	loop("audit checkpoints", func(ctx context.Context) { n.Audit.Run(ctx, 10*time.Second) })
	loop("audit outbox", func(ctx context.Context) { n.Audit.RunOutbox(ctx, time.Second) })
	loop("audit retention", func(ctx context.Context) { n.Audit.RunRetention(ctx, n.Cfg.AuditRetention, 24*time.Hour) })
	loop("cases", n.Cases.Run)
	loop("case statistics", func(ctx context.Context) { n.Cases.RunStats(ctx, 10*time.Second) })
	if n.Cfg.AuditWitnessInterval > 0 {
		loop("witness", func(ctx context.Context) { n.Witness.Run(ctx, n.Cfg.AuditWitnessInterval) })
	}
	loop("directory publisher", func(ctx context.Context) { n.DirPub.Run(ctx, 30*time.Second) })
	loop("exchange", n.Exchange.Run)
	loop("jit", n.JIT.Run)
	loop("mla", n.MLA.Run)
	if n.backups != nil {
		loop("scheduled backups", n.backups.Run)
	}
	loop("alerts", n.Alerts.Run)
	loop("operations", n.Ops.Run)
	wg.Wait()
}

// IsLeader reports whether this instance does the node's background work.
func (n *Node) IsLeader() bool { return n.leader != nil && n.leader.IsLeader() }

// Crash stops the instance the way a killed process stops: its database
// session holding the leadership ends at once, listeners close without
// letting requests finish, and nothing is drained or signed on the way
// out. Tests use it to show another instance takes over.
func (n *Node) Crash(ctx context.Context) {
	if n.leader != nil {
		if err := n.leader.Abandon(ctx); err != nil {
			n.Logger.Warn("could not end the leader's session", "err", err)
		}
	}
	for _, srv := range []*http.Server{n.httpSrv, n.fedSrv, n.metSrv} {
		if srv != nil {
			srv.Close()
		}
	}
	if n.cancel != nil {
		n.cancel()
	}
	n.wg.Wait()
	n.releaseDataDir()
	n.Store.Close()
}

// URL is where the node can be reached.
func (n *Node) URL() string {
	if n.Cfg.PublicURL != "" {
		return n.Cfg.PublicURL
	}
	if n.listener == nil {
		return ""
	}
	addr := n.listener.Addr().(*net.TCPAddr)
	host := addr.IP.String()
	if addr.IP.IsUnspecified() {
		host = "localhost"
	}
	if addr.IP.IsLoopback() {
		host = "localhost"
	}
	return fmt.Sprintf("http://%s:%d", host, addr.Port)
}

// BaseURL is the loopback URL of the listener, for tests and the demo.
func (n *Node) BaseURL() string {
	if n.listener == nil {
		return ""
	}
	return "http://" + n.listener.Addr().String()
}

// MetricsURL is the separate metrics address, or "" when not configured.
func (n *Node) MetricsURL() string {
	if n.metLn == nil {
		return ""
	}
	return "http://" + n.metLn.Addr().String() + "/metrics"
}

// FederationURL is where peers deliver: the mutual-TLS endpoint when
// configured, else the main server (insecure demos).
func (n *Node) FederationURL() string {
	if n.fedLn != nil {
		return "https://" + n.fedLn.Addr().String()
	}
	return n.BaseURL()
}

// run starts one background loop of the node. Every loop gets the node's
// background context; Close cancels it and waits for every loop to return
// before the database closes.
func (n *Node) run(name string, fn func(ctx context.Context)) {
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		fn(n.bg)
		n.Logger.Debug("background loop stopped", "loop", name)
	}()
}

// serve runs an HTTP server on ln as one of the node's loops; Close shuts
// the server down before it waits for the loops.
func (n *Node) serve(name string, srv *http.Server, ln net.Listener) {
	n.run(name+" server", func(context.Context) {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			n.Logger.Error(name+" server stopped", "err", err)
		}
	})
}

// Close stops serving (letting requests finish), signs a final audit
// checkpoint and closes the database.
func (n *Node) Close(ctx context.Context) error {
	var first error
	if n.httpSrv != nil {
		sctx, cancel := context.WithTimeout(ctx, n.Cfg.ShutdownTimeout)
		if err := n.httpSrv.Shutdown(sctx); err != nil {
			first = err
		}
		cancel()
	}
	for _, srv := range []*http.Server{n.fedSrv, n.metSrv} {
		if srv == nil {
			continue
		}
		sctx, cancel := context.WithTimeout(ctx, n.Cfg.ShutdownTimeout)
		if err := srv.Shutdown(sctx); err != nil && first == nil {
			first = err
		}
		cancel()
	}
	if n.cancel != nil {
		n.cancel()
	}
	n.wg.Wait()
	// Changes made without the background loops (command-line commands) or
	// in the last moments before shutdown are in the audit outbox: append
	// them now, so the log is complete when the node stops.
	if n.Audit != nil {
		if _, err := n.Audit.Drain(ctx); err != nil {
			n.Logger.Error("audit entries left in the outbox; they are appended at the next start", "err", err)
			if first == nil {
				first = err
			}
		}
	}
	n.releaseDataDir()
	if err := n.Store.Close(); err != nil && first == nil {
		first = err
	}
	return first
}

// lockDataDir makes sure one process at a time serves a node on SQLite:
// a second `liaison serve` on the same data directory is refused with a
// clear reason instead of sharing the database file. Several instances of
// a node need PostgreSQL.
func (n *Node) lockDataDir() error {
	if n.Store.Dialect != store.SQLite {
		return nil
	}
	path := filepath.Join(n.Cfg.DataDir, "serve.lock")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return errs.Wrap(errs.Unavailable, "app.Start", "cannot lock the data directory "+n.Cfg.DataDir, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return errs.Newf(errs.Conflict, "app.Start", "another liaison process already serves the data directory %s: a node on SQLite runs as one process (several instances of a node need PostgreSQL)", n.Cfg.DataDir)
	}
	_ = f.Truncate(0)
	_, _ = fmt.Fprintf(f, "%d\n", os.Getpid())
	n.dirLock = f
	return nil
}

// releaseDataDir lets another process serve the data directory.
func (n *Node) releaseDataDir() {
	if n.dirLock != nil {
		n.dirLock.Close()
		n.dirLock = nil
	}
}
