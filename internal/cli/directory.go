package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/liaison-wb/liaison/internal/app"
	"github.com/liaison-wb/liaison/internal/clock"
	"github.com/liaison-wb/liaison/internal/directory"
	"github.com/liaison-wb/liaison/internal/errs"
)

var directorySynopsis = map[string]string{
	"contact": "directory contact --country COUNTRY --role ROLE [--json]",
	"search":  "directory search WORDS... [--json]",
	"export":  "directory export [--format json|csv] [--kind agencies|contact-points|mechanisms|agreements|countries] [--out FILE]",
	"stale":   "directory stale [--json]",
	"matrix":  "directory matrix [--type TYPE] [--extra AT,DE]",
}

// runDirectory answers directory questions on the node's console: who to
// contact, search, stale contact points, the agreement matrix and exports.
func runDirectory(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 {
		return usagef("missing subcommand: directory contact|search|export|stale|matrix")
	}
	sub, rest := args[0], args[1:]
	if _, ok := directorySynopsis[sub]; !ok {
		return usagef("unknown subcommand %q: use directory contact|search|export|stale|matrix", sub)
	}
	fs := flagSet(env, "directory "+sub, directorySynopsis[sub])
	cfg, load := nodeConfig(fs)
	country := fs.String("country", "", "country code or name in any script, e.g. RS, Srbija, Србија, Kosova")
	role := fs.String("role", "", `role, e.g. ncu, "asset recovery office", sirene, "prosecutorial focal point", jit, gbv`)
	asJSON := fs.Bool("json", false, "print JSON instead of text")
	format := fs.String("format", "json", "export format: json or csv")
	kind := fs.String("kind", "", "record kind for exports (required for csv)")
	out := fs.String("out", "", "write the export to this file instead of standard output")
	typ := fs.String("type", "", "matrix: only instruments of this type (police_cooperation, mla, extradition, readmission, jit, asset_sharing, data_protection)")
	extra := fs.String("extra", "", "matrix: partner countries to add, comma-separated")
	// Flags may come before or after the words of a search.
	var words []string
	for len(rest) > 0 {
		if err := parse(fs, rest); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		words = append(words, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	switch {
	case sub == "contact" && (*country == "" || *role == ""):
		fs.Usage()
		return usagef("directory contact needs --country and --role")
	case sub == "search" && len(words) == 0:
		return usagef("directory search needs the words to look for")
	case sub != "search" && len(words) > 0:
		return usagef("directory %s takes no arguments, got %q", sub, strings.Join(words, " "))
	}
	if err := load(env.Getenv); err != nil {
		return err
	}
	node, err := app.Open(ctx, *cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), clock.System{}, nil)
	if err != nil {
		return err
	}
	defer node.Close(context.Background())
	d := node.Dir
	printJSON := func(v any) error {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	switch sub {
	case "contact":
		res, err := d.Lookup(ctx, cliActor, *country, *role)
		if err != nil {
			return err
		}
		if *asJSON {
			return printJSON(res)
		}
		fmt.Fprintf(env.Stdout, "%s (%s) · %s\n", res.Country.Name, res.Country.Code, res.Label)
		if res.Message != "" {
			fmt.Fprintln(env.Stdout, res.Message)
		}
		for _, c := range res.Contacts {
			writeContact(env.Stdout, c)
		}
		if len(res.Contacts) == 0 {
			return errs.New(errs.NotFound, "directory", strings.TrimSuffix(res.Message, "."))
		}
	case "search":
		hits, err := d.Search(ctx, cliActor, strings.Join(words, " "), 100)
		if err != nil {
			return err
		}
		if *asJSON {
			return printJSON(hits)
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "KIND\tCOUNTRY\tNAME\tDETAIL\tID")
		for _, h := range hits {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", h.Kind, h.Country, h.Title, h.Subtitle, h.ID)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		if len(hits) == 0 {
			fmt.Fprintln(env.Stdout, "no matches")
		}
	case "stale":
		cps, err := d.ContactPoints(ctx, cliActor, directory.ContactFilter{StaleOnly: true})
		if err != nil {
			return err
		}
		if *asJSON {
			return printJSON(cps)
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "COUNTRY\tROLE\tHOLDER\tLAST CONFIRMED\tOWNER\tID")
		for _, c := range cps {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", c.Country, c.RoleLabel, c.Holder.Name, c.ConfirmedAt.Format("2006-01-02"), c.OwnerNode, c.ID)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "%d contact point(s) not confirmed for 90 days\n", len(cps))
	case "matrix":
		var ex []string
		for _, e := range strings.Split(*extra, ",") {
			if e = strings.TrimSpace(e); e != "" {
				ex = append(ex, e)
			}
		}
		m, err := d.Matrix(ctx, cliActor, *typ, ex)
		if err != nil {
			return err
		}
		if *asJSON {
			return printJSON(m)
		}
		for _, r := range m.Countries {
			for _, c := range m.Countries {
				if r.Code >= c.Code {
					continue // the matrix is symmetric
				}
				var names []string
				for _, it := range m.Cell(r.Code, c.Code).Items {
					n := it.Name
					if it.State != directory.StateInForce {
						n += " (signed, not in force)"
					}
					names = append(names, n)
				}
				if len(names) == 0 {
					names = []string{"—"}
				}
				fmt.Fprintf(env.Stdout, "%s–%s: %s\n", r.Code, c.Code, strings.Join(names, "; "))
			}
		}
	case "export":
		body, _, name, err := d.Export(ctx, cliActor, *format, *kind)
		if err != nil {
			return err
		}
		if *out == "" {
			_, err = env.Stdout.Write(body)
			return err
		}
		if err := os.WriteFile(*out, body, 0o600); err != nil {
			return errs.Wrap(errs.Unavailable, "directory", "cannot write "+*out, err)
		}
		fmt.Fprintf(env.Stdout, "wrote %s (%d bytes; suggested name %s)\n", *out, len(body), name)
	}
	return nil
}

func writeContact(w io.Writer, c directory.ContactPoint) {
	fmt.Fprintf(w, "\n  %s", c.Title)
	if c.AgencyName != "" {
		fmt.Fprintf(w, " — %s", c.AgencyName)
	}
	if c.Country != "" {
		fmt.Fprintf(w, " [%s]", c.Country)
	}
	fmt.Fprintln(w)
	holder := c.Holder.Name
	if c.Holder.Title != "" {
		holder += ", " + c.Holder.Title
	}
	if c.HolderSince != "" {
		holder += " (since " + string(c.HolderSince) + ")"
	}
	fmt.Fprintf(w, "    holder:    %s\n", holder)
	if c.Deputy.Name != "" {
		fmt.Fprintf(w, "    deputy:    %s\n", c.Deputy.Name)
	}
	for _, ch := range c.Channels {
		fmt.Fprintf(w, "    %-10s %s\n", directory.Label(directory.ChannelKinds, ch.Kind)+":", ch.Value)
	}
	hours := c.Hours
	if c.AlwaysOn {
		hours = "24/7"
	}
	if c.TimeZone != "" {
		hours += " (" + c.TimeZone + ")"
	}
	fmt.Fprintf(w, "    hours:     %s\n", hours)
	if len(c.Languages) > 0 {
		fmt.Fprintf(w, "    languages: %s\n", strings.Join(c.Languages, ", "))
	}
	fmt.Fprintf(w, "    confirmed: %s", c.ConfirmedAt.Format("2006-01-02"))
	if c.Stale {
		fmt.Fprint(w, "  STALE: not confirmed for 90 days, check before relying on it")
	}
	fmt.Fprintln(w)
	if c.Pending != nil {
		fmt.Fprintf(w, "    handover:  %s takes over from %s\n", c.Pending.To.Name, c.Pending.EffectiveFrom)
	}
}
