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
	out, err := searchRows(ctx, s.st, toks)
	if err != nil {
		return nil, dbErr(op, err)
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
