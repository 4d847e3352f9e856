package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/liaison-wb/liaison/internal/alerts"
	"github.com/liaison-wb/liaison/internal/auth"
)

const alertsUsage = "alerts check FILE.csv [--out RESULT.csv] [--purpose TEXT] | import FILE [--format csv|json] [--dry-run] --user NAME | export [FILE] [--user NAME]"

// runAlerts checks a list of travellers or vehicles against the alerts
// held on the node, imports alerts as drafts (all or nothing) and exports
// the node's own alerts.
func runAlerts(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 {
		return usagef("missing subcommand: %s", alertsUsage)
	}
	sub, rest := args[0], args[1:]
	if sub != "check" && sub != "import" && sub != "export" {
		return usagef("unknown subcommand %q: use %s", sub, alertsUsage)
	}
	fs := flagSet(env, "alerts "+sub, alertsUsage)
	cfg, load := nodeConfig(fs)
	out := fs.String("out", "", "check: write the result CSV here (default standard output)")
	purpose := fs.String("purpose", "", "check: why the list is checked (audit log)")
	format := fs.String("format", "", "import: csv or json (default: from the file extension)")
	dry := fs.Bool("dry-run", false, "import: validate and report every refused row without writing")
	userName := fs.String("user", "", "the account on whose behalf the command acts (import: required; its agency issues the drafts)")
	pos, err := parseInterspersed(fs, rest)
	if err != nil {
		return err
	}
	if (sub == "export" && len(pos) > 1) || (sub != "export" && len(pos) != 1) {
		return usagef("usage: %s", alertsUsage)
	}
	if sub == "import" && *userName == "" {
		return usagef("alerts import needs --user NAME: the drafts belong to that user's agency and a second person validates them")
	}
	node, err := openNode(ctx, env, cfg, load)
	if err != nil {
		return err
	}
	defer node.Close(context.Background())
	// The console acts as the node's NCU unless it names an account.
	actor := &auth.Principal{Username: "cli", Agency: "node-console", Roles: []auth.Role{auth.RoleNCUOperator}, Console: true}
	if *userName != "" {
		u, err := node.Auth.UserByName(ctx, *userName)
		if err != nil {
			return err
		}
		if u.Disabled {
			return fmt.Errorf("account %s is disabled", u.Username)
		}
		actor = &auth.Principal{UserID: u.ID, Username: u.Username, DisplayName: u.DisplayName, Agency: u.Agency, Roles: u.Roles, Console: true}
	}
	switch sub {
	case "check":
		f, err := os.Open(pos[0])
		if err != nil {
			return fmt.Errorf("cannot open %s: %w", pos[0], err)
		}
		defer f.Close()
		rows, bad, err := alerts.ParseBatch(f)
		if err != nil {
			return err
		}
		for _, b := range bad {
			fmt.Fprintln(env.Stderr, "refused: "+b.String())
		}
		res, err := node.Alerts.BatchCheck(ctx, actor, rows, *purpose)
		if err != nil {
			return err
		}
		w := env.Stdout
		if *out != "" {
			of, err := os.Create(*out)
			if err != nil {
				return fmt.Errorf("cannot create %s: %w", *out, err)
			}
			defer of.Close()
			w = of
		}
		if err := alerts.WriteBatchCSV(w, res); err != nil {
			return err
		}
		hits, open := 0, 0
		for _, r := range res {
			if r.Hit {
				hits++
			}
			if r.CheckDate {
				open++
			}
		}
		fmt.Fprintf(env.Stderr, "checked %d rows: %d HIT or possible hit, %d to check again with the date of birth from the document, %d refused\n", len(res), hits, open, len(bad))
	case "import":
		f, err := os.Open(pos[0])
		if err != nil {
			return fmt.Errorf("cannot open %s: %w", pos[0], err)
		}
		defer f.Close()
		if *format == "" {
			*format = alerts.FormatCSV
			if strings.EqualFold(filepath.Ext(pos[0]), ".json") {
				*format = alerts.FormatJSON
			}
		}
		res, err := node.Alerts.Import(ctx, actor, f, *format, *dry)
		if err != nil {
			return err
		}
		for _, e := range res.Errors {
			fmt.Fprintln(env.Stdout, "refused: "+e.String())
		}
		switch {
		case len(res.Errors) > 0:
			return fmt.Errorf("%d of %d rows refused; nothing was imported", len(res.Errors), res.Rows)
		case *dry:
			fmt.Fprintf(env.Stdout, "dry run: %d alerts valid; nothing written\n", res.Rows)
		default:
			fmt.Fprintf(env.Stdout, "imported %d alerts as drafts; a second person validates each\n", res.Created)
		}
	case "export":
		var n int
		err := writeOutput(pos, env.Stdout, func(w io.Writer) (err error) {
			n, err = node.Alerts.Export(ctx, actor, w)
			return err
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stderr, "exported %d alerts\n", n)
	}
	return nil
}
