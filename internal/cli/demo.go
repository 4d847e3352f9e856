package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/liaison-wb/liaison/internal/buildinfo"
	"github.com/liaison-wb/liaison/internal/demo"
	"github.com/liaison-wb/liaison/internal/errs"
)

func runDemo(ctx context.Context, env Env, args []string) error {
	fs := flagSet(env, "demo", "demo [--base-port N] [--nodes al,rs,...] [--keep]")
	basePort := fs.Int("base-port", 8081, "port of the first node; the others follow (0 picks free ports)")
	nodes := fs.String("nodes", "", "comma-separated subset of nodes (default: al,ba,me,mk,rs,xk,selec)")
	keep := fs.Bool("keep", false, "keep the demo data directory after exit")
	verbose := fs.Bool("v", false, "log requests and background work")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	dir, err := os.MkdirTemp("", "liaison-demo-")
	if err != nil {
		return errs.Wrap(errs.Unavailable, "demo", "cannot create a temporary directory", err)
	}
	if !*keep {
		defer os.RemoveAll(dir)
	}
	var logOut io.Writer = io.Discard
	if *verbose {
		logOut = env.Stderr
	}
	logger := slog.New(slog.NewTextHandler(logOut, &slog.HandlerOptions{Level: slog.LevelInfo}))
	var ids []string
	if *nodes != "" {
		ids = strings.Split(*nodes, ",")
	}
	var names []string
	for _, u := range demo.Users {
		names = append(names, u.Username)
	}
	// The banner comes first, before any start-up work, so the first run
	// shows at once what it is doing and how to log in.
	fmt.Fprintf(env.Stdout, "Liaison %s demo: a regional federation on this machine.\nDemo logins on every node: %s; password for all of them: %s\n\nStarting the nodes…\n",
		buildinfo.Version, strings.Join(names, ", "), demo.Password)
	fed, err := demo.Start(ctx, demo.Options{Dir: dir, BasePort: *basePort, Nodes: ids, Logger: logger,
		Progress: func(msg string) { fmt.Fprintln(env.Stdout, msg) }})
	if err != nil {
		if errs.Is(err, errs.Unavailable) && *basePort != 0 {
			return errs.Wrap(errs.Unavailable, "demo", fmt.Sprintf("a port from %d is in use; try --base-port 0 for free ports", *basePort), err)
		}
		return err
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\nNODE\tURL\tNAME")
	for i, n := range fed.Nodes {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", fed.Specs[i].ID, n.URL(), fed.Specs[i].Name)
	}
	tw.Flush()
	fmt.Fprintf(env.Stdout, "\nDemo logins on every node: %s\nPassword for all of them: %s\n", strings.Join(names, ", "), demo.Password)
	if *keep {
		fmt.Fprintf(env.Stdout, "Data directory (kept): %s\n", dir)
	}
	fmt.Fprintln(env.Stdout, "\nTry: on rs, log in as officer and open Cases → Queries: a private hit/no-hit query (only keyed encodings went to ba) found a person written in another script.")
	fmt.Fprintln(env.Stdout, "     On rs, ba or al, log in as ncu and open /cases/deconfliction: the three drug investigations share targets; each NCU sees the partner's contact point.")
	fmt.Fprintln(env.Stdout, "\nPress Ctrl-C to stop.")
	<-ctx.Done()
	fmt.Fprintln(env.Stdout, "\nStopping…")
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	fed.Close(sctx)
	fmt.Fprintln(env.Stdout, "Demo stopped.")
	return nil
}
