package analysis

import (
	"bytes"
	"encoding/csv"
	"slices"
	"strconv"
)

// CSVHeader are the columns of the scoreboard's CSV export.
var CSVHeader = []string{"node", "partner", "quarter", "requests_sent", "requests_answered", "answered_pct", "with_deadline", "within_deadline", "within_deadline_pct",
	"median_answer_hours", "requests_received", "requests_we_answered", "queries_sent", "hits", "releases_received", "queries_received", "hits_given", "releases_given",
	"mla_sent", "mla_executed", "mla_median_days", "mla_received", "jits", "operations", "patrols"}

func countsRow(node, partner, quarter string, c Counts) []string {
	i := strconv.Itoa
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }
	return []string{node, partner, quarter, i(c.RequestsSent), i(c.RequestsAnswered), i(c.AnsweredShare()), i(c.WithDeadline), i(c.WithinDeadline), i(c.DeadlineShare()),
		f(c.MedianHours), i(c.RequestsReceived), i(c.RequestsWeAnswered), i(c.QueriesSent), i(c.Hits), i(c.ReleasesReceived), i(c.QueriesReceived), i(c.HitsGiven), i(c.ReleasesGiven),
		i(c.MLASent), i(c.MLAExecuted), f(c.MLAMedianDays), i(c.MLAReceived), i(c.JITs), i(c.Operations), i(c.Patrols)}
}

// ScoreboardCSV writes scoreboards as CSV: one row per node and partner
// ("total") and one per quarter. Only partners in only, when not empty.
func ScoreboardCSV(boards []Scoreboard, only string) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write(CSVHeader)
	for _, b := range boards {
		for _, p := range b.Pairs {
			if only != "" && p.Partner != only && b.Node != only {
				continue
			}
			_ = w.Write(countsRow(b.Node, p.Partner, "total", p.Counts))
			for _, q := range p.Quarters {
				_ = w.Write(countsRow(b.Node, p.Partner, q.Quarter, q.Counts))
			}
		}
	}
	w.Flush()
	return buf.Bytes()
}

// ScoreCell is one cell of the scoreboard matrix: what reporter recorded with partner.
type ScoreCell struct {
	Partner string
	Has     bool
	Counts
}

// MatrixRow is one reporting node's row of the matrix.
type MatrixRow struct {
	Node  string
	Own   bool
	At    string
	Cells []ScoreCell
}

// Matrix lays scoreboards out as reporting node × partner.
func Matrix(boards []Scoreboard) (partners []string, rows []MatrixRow) {
	seen := map[string]bool{}
	for _, b := range boards {
		seen[b.Node] = true
		for _, p := range b.Pairs {
			seen[p.Partner] = true
		}
	}
	for k := range seen {
		partners = append(partners, k)
	}
	sortStrings(partners)
	for i, b := range boards {
		r := MatrixRow{Node: b.Node, Own: i == 0, At: b.At.Format("2006-01-02 15:04")}
		for _, k := range partners {
			c := ScoreCell{Partner: k}
			if p, ok := b.Pair(k); ok {
				c.Has, c.Counts = true, p.Counts
			}
			r.Cells = append(r.Cells, c)
		}
		rows = append(rows, r)
	}
	return partners, rows
}

func sortStrings(s []string) { slices.Sort(s) }

// TableCSV writes a table's cells in the import format (suppressed cells
// have an empty value and suppressed=true), followed by nothing else: the
// definitions travel in the JSON form.
func TableCSV(t Table) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write([]string{"jurisdiction", "period", "indicator", "area", "sex", "age_band", "relationship", "form", "nationality", "value", "suppressed"})
	for _, c := range t.Cells {
		v := ""
		if c.Value != nil {
			v = strconv.Itoa(*c.Value)
		}
		_ = w.Write([]string{t.Jurisdiction, t.Period, c.Indicator, c.Area, c.Sex, c.AgeBand, c.Relationship, c.Form, c.Nationality, v, strconv.FormatBool(c.Suppressed)})
	}
	w.Flush()
	return buf.Bytes()
}

// IndicatorTotals gives one number per indicator for charts: the cells
// with no breakdown when there are any, else the cells broken down the
// same way as the indicator's first cell (so no person is counted twice).
func IndicatorTotals(t Table) (labels []string, values []float64) {
	set, _ := SetOf(t.Set)
	sig := func(c TableCell) [6]bool {
		return [6]bool{c.Area != "", c.Sex != "", c.AgeBand != "", c.Relationship != "", c.Form != "", c.Nationality != ""}
	}
	for _, ind := range set.Indicators {
		var cs []TableCell
		for _, c := range t.Cells {
			if c.Indicator == ind.Code && c.Value != nil {
				cs = append(cs, c)
			}
		}
		if len(cs) == 0 {
			continue
		}
		want := sig(cs[0])
		for _, c := range cs {
			if sig(c) == ([6]bool{}) || sig(c) == [6]bool{true} {
				want = sig(c)
				break
			}
		}
		total := 0
		for _, c := range cs {
			if sig(c) == want {
				total += *c.Value
			}
		}
		labels = append(labels, ind.Code)
		values = append(values, float64(total))
	}
	return labels, values
}
