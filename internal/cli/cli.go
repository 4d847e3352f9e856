// Package cli implements the liaison command line: one function per
// subcommand, errors printed as one clear line with exit codes 0 (ok),
// 1 (failure) and 2 (usage error).
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/liaison-wb/liaison/internal/app"
	"github.com/liaison-wb/liaison/internal/clock"
	"github.com/liaison-wb/liaison/internal/config"
	"github.com/liaison-wb/liaison/internal/errs"
)

// Env is the process environment a command runs in.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
}

// Exit codes.
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitUsage   = 2
)

// usageError marks a mistake in how the command was called.
type usageError struct{ msg string }

func (u *usageError) Error() string { return u.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env Env, args []string) error
}

func commands() []command {
	return []command{
		{"serve", "run one node", runServe},
		{"demo", "run a regional federation of seven nodes on loopback with demo data", runDemo},
		{"migrate", "apply database migrations and exit; --check lists them without applying", runMigrate},
		{"doctor", "check a node's health: config, database, keys, certificate, peers, disk, backups", runDoctor},
		{"backup", "write an encrypted, consistent backup of a running node", runBackup},
		{"restore", "restore an encrypted backup into an empty data directory or database", runRestore},
		{"user", "manage accounts: user add|list|disable|enable", runUser},
		{"audit", "audit log tools: audit verify, audit prune", runAudit},
		{"directory", "regional directory: directory contact|search|stale|matrix|export", runDirectory},
		{"federation", "node keys and peers: federation init|peer add|peer list|peer suspend|status|key rotate|key revoke|cert renew", runFederation},
		{"link", "link records across two CSV files", runLink},
		{"dedupe", "find duplicate records in one CSV file", runDedupe},
		{"cases", "joint operational database: cases import|export|fit", runCases},
		{"analysis", "harmonised statistics and the cooperation scoreboard: analysis import|export", runAnalysis},
		{"assessment", "joint risk assessments: assessment list|create|pdf", runAssessment},
		{"alerts", "alerts on wanted persons and objects: alerts check|import|export", runAlerts},
		{"bench", "measure performance: bench match", runBench},
		{"version", "print version, commit and Go version", runVersion},
	}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Liaison: secure regional cooperation for police, prosecution and justice agencies.")
	fmt.Fprintln(w, "\nUsage: liaison COMMAND [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'liaison COMMAND --help' for a command's flags.")
}

// Run executes the command line and returns the exit code.
func Run(ctx context.Context, args []string, env Env) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(env.Stdout)
		if len(args) == 0 {
			return ExitUsage
		}
		return ExitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return report(env.Stderr, c.name, c.run(ctx, env, args[1:]))
		}
	}
	fmt.Fprintf(env.Stderr, "liaison: unknown command %q; run 'liaison help'\n", args[0])
	return ExitUsage
}

// report prints err as one line and picks the exit code.
func report(w io.Writer, name string, err error) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return ExitOK
	}
	if errors.Is(err, context.Canceled) {
		return ExitOK
	}
	var ue *usageError
	var ce interface{ IsUsage() bool }
	if errors.As(err, &ue) || (errors.As(err, &ce) && ce.IsUsage()) {
		fmt.Fprintf(w, "liaison %s: %s\n", name, oneLine(err.Error()))
		return ExitUsage
	}
	msg := errs.SafeMessage(err)
	var e *errs.E
	if errors.As(err, &e) {
		if e.Kind == errs.Internal {
			msg = "internal error: " + err.Error()
		} else if e.Err != nil && (e.Kind == errs.Unavailable || e.Kind == errs.Invalid) {
			msg += " (" + rootCause(e.Err) + ")"
		}
		if e.Kind == errs.Invalid && e.Op == "config" {
			fmt.Fprintf(w, "liaison %s: %s\n", name, oneLine(msg))
			return ExitUsage
		}
	} else {
		msg = err.Error()
	}
	fmt.Fprintf(w, "liaison %s: %s\n", name, oneLine(msg))
	return ExitFailure
}

func rootCause(err error) string {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err.Error()
		}
		err = next
	}
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) > 400 {
		s = s[:400] + "…"
	}
	return s
}

// flagSet builds a FlagSet that reports problems as usage errors.
func flagSet(env Env, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(env.Stderr, "Usage: liaison %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses flags, turning flag errors into usage errors.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &usageError{err.Error()}
	}
	return nil
}

// openNode loads a command's node configuration (flags, file, environment)
// and opens the node quietly; the caller closes it.
func openNode(ctx context.Context, env Env, cfg *config.Config, load func(getenv func(string) string) error) (*app.Node, error) {
	if err := load(env.Getenv); err != nil {
		return nil, err
	}
	return app.Open(ctx, *cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), clock.System{}, env.Stdout)
}

// nodeConfig registers the node settings on fs and returns a loader.
func nodeConfig(fs *flag.FlagSet) (*config.Config, func(getenv func(string) string) error) {
	cfg := config.Default()
	load := cfg.Register(fs)
	return &cfg, load
}

func newLogger(w io.Writer, cfg *config.Config) *slog.Logger {
	level := map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError}[cfg.LogLevel]
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
