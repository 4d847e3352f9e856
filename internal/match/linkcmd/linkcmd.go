// Package linkcmd implements the `liaison link`, `liaison dedupe` and
// `liaison bench match` commands as plain functions; internal/cli wires
// them up and maps *UsageError to exit code 2, other errors to 1.
package linkcmd

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/mattn/go-isatty"

	"github.com/liaison-wb/liaison/internal/entity"
	"github.com/liaison-wb/liaison/internal/match"
)

// UsageError is a command-line usage mistake (exit code 2).
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

func usagef(format string, args ...any) error {
	return &UsageError{Msg: fmt.Sprintf(format, args...)}
}

// fieldFlag collects repeated --field COLUMN=KIND values.
type fieldFlag map[string]string

func (f fieldFlag) String() string { return "" }

func (f fieldFlag) Set(v string) error {
	col, kind, ok := strings.Cut(v, "=")
	col, kind = strings.TrimSpace(col), strings.ToLower(strings.TrimSpace(kind))
	if !ok || col == "" || kind == "" {
		return fmt.Errorf("want COLUMN=KIND, got %q", v)
	}
	switch kind {
	case "surname", "last_name":
		kind = match.ColFamily
	case "first_name":
		kind = match.ColGiven
	case "dob":
		kind = match.ColDOB
	case "jmbg", "national_id":
		kind = match.ColPersonalID
	}
	valid := false
	for _, k := range match.ColumnKinds {
		valid = valid || k == kind
	}
	if !valid {
		return fmt.Errorf("unknown kind %q (one of %s)", kind, strings.Join(match.ColumnKinds, ", "))
	}
	f[col] = kind
	return nil
}

// common holds the flags shared by link and dedupe.
type common struct {
	threshold float64
	fields    fieldFlag
	weights   string
	saveW     string
	region    string
	quiet     bool
}

func (c *common) register(fs *flag.FlagSet) {
	c.fields = fieldFlag{}
	fs.Float64Var(&c.threshold, "threshold", match.DefaultThreshold, "minimum posterior match probability, 0..1")
	fs.Var(c.fields, "field", "map a column to a kind: COLUMN=KIND (repeatable)")
	fs.StringVar(&c.weights, "weights", "", "fixed m/u weights from a JSON file instead of EM")
	fs.StringVar(&c.saveW, "save-weights", "", "write the learnt weights as JSON to this file")
	fs.StringVar(&c.region, "region", "", "default country (ISO code) for phone numbers without a country code")
	fs.BoolVar(&c.quiet, "quiet", false, "no progress output")
}

// parse parses flags and positional arguments (operands, for the
// synopsis) in any order. --help prints the synopsis and every flag with
// its meaning to stderr and returns flag.ErrHelp: not an error.
func parse(fs *flag.FlagSet, args []string, stderr io.Writer, operands string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprintf(stderr, "Usage: %s\n\nFlags:\n", strings.TrimSpace(usageOf(fs)+" "+operands))
				fs.SetOutput(stderr)
				fs.PrintDefaults()
				return nil, flag.ErrHelp
			}
			return nil, usagef("%v; usage: %s", err, usageOf(fs))
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func usageOf(fs *flag.FlagSet) string {
	var b strings.Builder
	b.WriteString("liaison " + fs.Name())
	fs.VisitAll(func(f *flag.Flag) {
		name, _ := flag.UnquoteUsage(f)
		if name == "" {
			fmt.Fprintf(&b, " [--%s]", f.Name)
		} else {
			fmt.Fprintf(&b, " [--%s %s]", f.Name, name)
		}
	})
	return b.String()
}

func (c *common) options(stderr io.Writer, n int) (match.Options, error) {
	if c.threshold < 0 || c.threshold > 1 || math.IsNaN(c.threshold) {
		return match.Options{}, usagef("--threshold %v: must be between 0 and 1", c.threshold)
	}
	opt := match.Options{Threshold: c.threshold}
	if c.threshold == 0 {
		opt.Threshold = math.SmallestNonzeroFloat64 // keep every candidate
	}
	if c.weights != "" {
		f, err := os.Open(c.weights)
		if err != nil {
			return opt, err
		}
		defer f.Close()
		m, err := match.ReadModel(f)
		if err != nil {
			return opt, fmt.Errorf("%s: %w", c.weights, err)
		}
		opt.Model = m
	}
	if !c.quiet && n >= 20000 {
		opt.Progress = newReporter(stderr)
	}
	return opt, nil
}

func (c *common) read(path string) ([]entity.Person, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return match.ReadPersons(f, path, match.TableOptions{Fields: c.fields, DefaultRegion: strings.ToUpper(c.region)})
}

func (c *common) save(m *match.Model) error {
	if c.saveW == "" || m == nil {
		return nil
	}
	f, err := os.Create(c.saveW)
	if err != nil {
		return err
	}
	if err := m.WriteJSON(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Link implements `liaison link LEFT.csv RIGHT.csv [--threshold T]
// [--one-to-one] [--explain] [--field COLUMN=KIND]`.
func Link(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("link", flag.ContinueOnError)
	var c common
	c.register(fs)
	oneToOne := fs.Bool("one-to-one", false, "keep at most one partner per record: each pair is scored against its rivals, best first")
	explain := fs.Bool("explain", false, "add a decision (linked, review, not_linked) and per-field agreement and weight columns; near misses (score >= 0.01) are listed too")
	pos, err := parse(fs, args, stderr, "LEFT.csv RIGHT.csv")
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usagef("link needs LEFT.csv and RIGHT.csv; usage: %s LEFT.csv RIGHT.csv", usageOf(fs))
	}
	left, err := c.read(pos[0])
	if err != nil {
		return err
	}
	right, err := c.read(pos[1])
	if err != nil {
		return err
	}
	opt, err := c.options(stderr, len(left)+len(right))
	if err != nil {
		return err
	}
	opt.OneToOne = *oneToOne
	threshold := opt.Threshold
	if *explain {
		// Near misses are explained too, so that one sees why a pair was
		// not linked. Greedy one-to-one takes pairs best first, so pairs
		// below the threshold never take a partner from a linked pair.
		opt.Threshold = min(threshold, nearMiss)
	}
	res, err := match.Link(ctx, left, right, opt)
	if err != nil {
		return err
	}
	if err := c.save(res.Model); err != nil {
		return err
	}
	bw := bufio.NewWriterSize(stdout, 1<<16)
	w := csv.NewWriter(bw)
	head := []string{"left_id", "right_id", "score"}
	var cols []match.Field
	if *explain {
		cols = explainColumns(res)
		head = append(head, "weight", "decision")
		for _, f := range cols {
			head = append(head, f.String())
		}
	}
	if err := w.Write(head); err != nil {
		return err
	}
	row := make([]string, 0, len(head))
	linked, review := 0, 0
	for _, p := range res.Pairs {
		d := decision(p.Score, threshold)
		switch d {
		case "linked":
			linked++
		case "review":
			linked++
			review++
		}
		if d == "not_linked" && !*explain {
			continue
		}
		row = append(row[:0], left[p.Left].ID, right[p.Right].ID, strconv.FormatFloat(p.Score, 'f', 4, 64))
		if *explain {
			row = append(row, strconv.FormatFloat(p.Weight, 'f', 2, 64), d)
			e := res.Explain(p)
			for _, f := range cols {
				fe := e.Fields[f]
				if fe.Level == "missing" {
					row = append(row, "")
				} else {
					row = append(row, fmt.Sprintf("%s %+.2f", fe.Level, fe.Weight))
				}
			}
		}
		if err := w.Write(row); err != nil {
			return err
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if !c.quiet {
		fmt.Fprintf(stderr, "liaison link: %d pairs linked, %d of them in the review band (score below %.2f): check those by hand\n", linked, review, match.HighScore)
	}
	return nil
}

// nearMiss is the lowest score --explain lists as a pair not linked.
const nearMiss = 0.01

// decision names what happened to a pair: linked (at or above the high
// band), review (linked, but below the high band: a person should check
// it) or not_linked (below the threshold, listed by --explain only).
func decision(score, threshold float64) string {
	switch {
	case score < threshold:
		return "not_linked"
	case score < match.HighScore:
		return "review"
	}
	return "linked"
}

// explainColumns lists the fields compared (not missing) in at least one
// reported pair, in field order.
func explainColumns(res *match.Result) []match.Field {
	var used [match.NumFields]bool
	for _, p := range res.Pairs {
		for f := match.Field(0); f < match.NumFields; f++ {
			if p.Pattern.Level(f) != 0 {
				used[f] = true
			}
		}
	}
	var out []match.Field
	for f := match.Field(0); f < match.NumFields; f++ {
		if used[f] {
			out = append(out, f)
		}
	}
	return out
}

// Dedupe implements `liaison dedupe FILE.csv [--threshold T] [--field
// COLUMN=KIND]` printing `id,cluster_id` for every record; cluster_id is
// the id of the cluster's first record in file order.
func Dedupe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dedupe", flag.ContinueOnError)
	var c common
	c.register(fs)
	pos, err := parse(fs, args, stderr, "FILE.csv")
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("dedupe needs exactly one FILE.csv; usage: %s FILE.csv", usageOf(fs))
	}
	recs, err := c.read(pos[0])
	if err != nil {
		return err
	}
	opt, err := c.options(stderr, len(recs))
	if err != nil {
		return err
	}
	res, err := match.Dedupe(ctx, recs, opt)
	if err != nil {
		return err
	}
	if err := c.save(res.Model); err != nil {
		return err
	}
	bw := bufio.NewWriterSize(stdout, 1<<16)
	w := csv.NewWriter(bw)
	if err := w.Write([]string{"id", "cluster_id"}); err != nil {
		return err
	}
	for i, r := range recs {
		if err := w.Write([]string{r.ID, recs[res.Clusters[i]].ID}); err != nil {
			return err
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

// newReporter returns a progress callback: a redrawn bar on a terminal,
// otherwise a plain line every few seconds and at the end of each stage.
func newReporter(w io.Writer) func(stage string, done, total int) {
	tty := false
	if f, ok := w.(*os.File); ok {
		tty = isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())
	}
	var last time.Time
	lastStage := ""
	start := time.Now()
	return func(stage string, done, total int) {
		if total <= 0 {
			total = 1
		}
		frac := float64(done) / float64(total)
		finished := done >= total
		if tty {
			const width = 30
			n := int(frac * width)
			fmt.Fprintf(w, "\r%-8s [%s%s] %3.0f%% %6.1fs", stage, strings.Repeat("#", n), strings.Repeat(".", width-n), 100*frac, time.Since(start).Seconds())
			if finished {
				fmt.Fprintln(w)
			}
			return
		}
		if !finished && stage == lastStage && time.Since(last) < 5*time.Second {
			return
		}
		if finished && stage != lastStage && total == 1 {
			return // instantaneous stages are not worth a line
		}
		last, lastStage = time.Now(), stage
		fmt.Fprintf(w, "%s: %d/%d (%.0f%%) after %.1fs\n", stage, done, total, 100*frac, time.Since(start).Seconds())
	}
}
