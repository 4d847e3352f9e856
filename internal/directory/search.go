package directory

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/textutil"
)

// SearchHit is one directory record matching a search.
type SearchHit struct {
	Kind     string `json:"kind" doc:"country, agency, contact_point, mechanism or agreement"`
	ID       string `json:"id"`
	Title    string `json:"title"`
	Subtitle string `json:"subtitle,omitempty"`
	Country  string `json:"country,omitempty"`
	// rank orders hits: whole-word title matches first.
	rank int
}

// MaxSearchTokens bounds the work one query can cause.
const MaxSearchTokens = 8

// Search finds agencies, people in roles, mechanisms, agreements and
// countries. Text is folded on both sides, so Cyrillic and Latin spellings
// find each other ("Управа" finds "Uprava") and diacritics are optional
// ("Brcko" finds "Brčko"). Every word must match.
func (s *Service) Search(ctx context.Context, p *auth.Principal, query string, limit int) ([]SearchHit, error) {
	const op = "directory.Search"
	toks := strings.Fields(fold(query))
	if len(toks) == 0 {
		return nil, errs.New(errs.Invalid, op, "type at least one word to search for")
	}
	if len(toks) > MaxSearchTokens {
		return nil, errs.Newf(errs.Invalid, op, "use at most %d words", MaxSearchTokens)
	}
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	where, args := "", []any{}
	for _, t := range toks {
		where += ` AND search LIKE ? ESCAPE '\'`
		args = append(args, "%"+escapeLike(t)+"%")
	}
	type source struct {
		kind, q string
		hit     func(scan func(...any) error) (SearchHit, error)
	}
	sources := []source{
		{"country", `SELECT code, name, kind FROM dir_countries WHERE 1=1` + where, func(scan func(...any) error) (SearchHit, error) {
			var h SearchHit
			var kind string
			err := scan(&h.ID, &h.Title, &kind)
			h.Country, h.Subtitle = h.ID, Label(CountryKinds, kind)
			return h, err
		}},
		{"agency", `SELECT id, name, country, type, acronym FROM dir_agencies WHERE 1=1` + where, func(scan func(...any) error) (SearchHit, error) {
			var h SearchHit
			var typ, acr string
			err := scan(&h.ID, &h.Title, &h.Country, &typ, &acr)
			h.Subtitle = Label(AgencyTypes, typ)
			if acr != "" {
				h.Subtitle = acr + " · " + h.Subtitle
			}
			return h, err
		}},
		{"contact_point", `SELECT id, title, country, holder_name, deputy_name FROM dir_contact_points WHERE 1=1` + where, func(scan func(...any) error) (SearchHit, error) {
			var h SearchHit
			var holder, deputy string
			err := scan(&h.ID, &h.Title, &h.Country, &holder, &deputy)
			h.Subtitle = holder
			if deputy != "" {
				h.Subtitle += " (deputy " + deputy + ")"
			}
			return h, err
		}},
		{"mechanism", `SELECT id, code, name FROM dir_mechanisms WHERE 1=1` + where, func(scan func(...any) error) (SearchHit, error) {
			var h SearchHit
			var code string
			err := scan(&h.ID, &code, &h.Title)
			h.Subtitle = code
			return h, err
		}},
		{"agreement", `SELECT id, title, short_name FROM dir_agreements WHERE 1=1` + where, func(scan func(...any) error) (SearchHit, error) {
			var h SearchHit
			err := scan(&h.ID, &h.Title, &h.Subtitle)
			return h, err
		}},
	}
	out := []SearchHit{}
	for i, src := range sources {
		rows, err := s.st.QueryContext(ctx, src.q+` LIMIT 500`, args...)
		if err != nil {
			return nil, dbErr(op, err)
		}
		for rows.Next() {
			h, err := src.hit(rows.Scan)
			if err != nil {
				rows.Close()
				return nil, dbErr(op, err)
			}
			h.Kind = src.kind
			h.rank = i
			if ft := " " + fold(h.Title+" "+h.Subtitle) + " "; strings.Contains(ft, " "+strings.Join(toks, " ")+" ") {
				h.rank -= 10
			}
			out = append(out, h)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, dbErr(op, err)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].rank != out[j].rank {
			return out[i].rank < out[j].rank
		}
		return out[i].Title < out[j].Title
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out, s.record(ctx, p, "directory.search", "directory/search", fmt.Sprintf("q=%q hits=%d", textutil.Ellipsis(query, 200), len(out)))
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
