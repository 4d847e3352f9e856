package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/liaison-wb/liaison/internal/analysis"
	"github.com/liaison-wb/liaison/internal/auth"
)

const analysisUsage = "analysis import FILE.csv|FILE.xlsx --set gbv|thb|migration --title T --period P --jurisdiction J [--source S] [--definition 'indicator|national offence|note']... | export [--table ID] [FILE]"

// analysisActor is the node's console working as an analyst; what it does
// is audited as "cli".
var analysisActor = &auth.Principal{Username: "cli", Agency: "node-console", Console: true, Roles: []auth.Role{auth.RoleAnalyst}}

func runAnalysis(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 {
		return usagef("missing subcommand: %s", analysisUsage)
	}
	sub, rest := args[0], args[1:]
	if sub != "import" && sub != "export" {
		return usagef("unknown subcommand %q: use %s", sub, analysisUsage)
	}
	fs := flagSet(env, "analysis "+sub, analysisUsage)
	cfg, load := nodeConfig(fs)
	set := fs.String("set", "gbv", "import: indicator set")
	title := fs.String("title", "", "import: table title")
	period := fs.String("period", "", "import: 2025, 2025-Q1 or 2025-03")
	jur := fs.String("jurisdiction", "", "import: AL, BA, BA-FBIH, BA-RS, BA-BD, ME, MK, RS, XK")
	source := fs.String("source", "", "import: national data source")
	table := fs.String("table", "", "export: this table's cells instead of the scoreboard")
	var defs multiFlag
	fs.Var(&defs, "definition", "import: indicator|national offence|note (repeatable)")
	pos, err := parseInterspersed(fs, rest)
	if err != nil {
		return err
	}
	node, err := openNode(ctx, env, cfg, load)
	if err != nil {
		return err
	}
	defer node.Close(context.Background())
	switch sub {
	case "import":
		if len(pos) != 1 {
			return usagef("analysis import takes one FILE")
		}
		data, err := os.ReadFile(pos[0])
		if err != nil {
			return fmt.Errorf("cannot read %s: %w", pos[0], err)
		}
		in := analysis.TableInput{Set: *set, Title: *title, Period: *period, Jurisdiction: *jur, Source: *source}
		for _, d := range defs {
			parts := strings.SplitN(d, "|", 3)
			def := analysis.Definition{Indicator: strings.TrimSpace(parts[0])}
			if len(parts) > 1 {
				def.NationalOffence = strings.TrimSpace(parts[1])
			}
			if len(parts) > 2 {
				def.Note = strings.TrimSpace(parts[2])
			}
			in.Definitions = append(in.Definitions, def)
		}
		rep, err := node.Analysis.ImportTable(ctx, analysisActor, in, data)
		if err != nil {
			return err
		}
		if !rep.Saved {
			for _, e := range rep.Errors {
				fmt.Fprintf(env.Stdout, "line %d, column %s: %s %q\n", e.Line, e.Column, e.Code, e.Value)
			}
			return fmt.Errorf("%d error(s) in %s; nothing was saved", len(rep.Errors), pos[0])
		}
		fmt.Fprintf(env.Stdout, "imported table %s: %s %s %s, %d cells\n", rep.Table.ID, rep.Table.Set, rep.Table.Jurisdiction, rep.Table.Period, len(rep.Table.Cells))
	case "export":
		var body []byte
		if *table != "" {
			t, err := node.Analysis.Table(ctx, analysisActor, *table)
			if err != nil {
				return err
			}
			body = analysis.TableCSV(t)
		} else {
			boards, err := node.Analysis.Scoreboards(ctx, analysisActor)
			if err != nil {
				return err
			}
			body = analysis.ScoreboardCSV(boards, "")
		}
		return writeOutput(pos, env.Stdout, func(w io.Writer) error {
			_, err := w.Write(body)
			return err
		})
	}
	return nil
}
