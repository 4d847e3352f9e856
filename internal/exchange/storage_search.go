// Storage of the thread search: the plans of a search by filters and
// words on both databases, and the reads of the dashboard and the NCU's
// routing view. Every SQL statement of the search is here.

package exchange

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/store"
)

// threadFilter is a validated search: parties holding country, search text
// holding crimeArea (folded), a status, open requests due before
// deadlineBefore or overdue at overdueAt (when set), and every word of
// terms; at most limit threads.
type threadFilter struct {
	country, crimeArea, status string
	deadlineBefore, overdueAt  time.Time
	terms                      []string
	limit                      int
}

// searchThreads finds the threads visible to the actor's agency that match
// f; the caller sorts and cuts them to f.limit.
func (s *Service) searchThreads(ctx context.Context, actor *auth.Principal, f threadFilter) ([]Thread, error) {
	var where []string
	var args []any
	if f.country != "" {
		where = append(where, `t.parties LIKE ?`)
		args = append(args, `%"`+f.country+`"%`)
	}
	if f.crimeArea != "" {
		where = append(where, `t.search LIKE ?`)
		args = append(args, "%"+f.crimeArea+"%")
	}
	if f.status != "" {
		where = append(where, `t.status = ?`)
		args = append(args, f.status)
	}
	if !f.deadlineBefore.IsZero() {
		where = append(where, `t.status = ? AND t.deadline_at != '' AND t.deadline_at <= ?`)
		args = append(args, StatusOpen, store.FormatTime(f.deadlineBefore))
	}
	if !f.overdueAt.IsZero() {
		where = append(where, `t.status = ? AND t.deadline_at != '' AND t.deadline_at < ?`)
		args = append(args, StatusOpen, store.FormatTime(f.overdueAt))
	}
	cond := ""
	if len(where) > 0 {
		cond = " AND " + strings.Join(where, " AND ")
	}
	switch {
	case len(f.terms) == 0:
		return s.listPlain(ctx, actor, cond, args, f.limit)
	case s.d.Store.Dialect == store.Postgres:
		return s.listTerms(ctx, actor, f.terms, cond, args, f.limit)
	default:
		return s.listTermsSQL(ctx, actor, f.terms, where, args, f.limit)
	}
}

// visibleFrom are the two ways a caller sees a thread: it belongs to the
// caller's agency, or is shared with it. Each is walked on its own index
// and the results merged, which keeps both plans simple on both databases.
var visibleFrom = []string{
	` FROM ex_threads t WHERE t.agency = ?`,
	` FROM ex_shares s JOIN ex_threads t ON t.id = s.thread_id WHERE s.agency = ?`,
}

// listPlain lists visible threads matching the filters, newest first.
func (s *Service) listPlain(ctx context.Context, actor *auth.Principal, cond string, args []any, limit int) ([]Thread, error) {
	var out []Thread
	for _, from := range visibleFrom {
		ts, err := s.queryThreads(ctx, `SELECT `+prefixed("t.", threadCols)+from+cond+` ORDER BY t.updated_at DESC, t.id DESC LIMIT `+strconv.Itoa(limit), append([]any{actor.Agency}, args...)...)
		if err != nil {
			return nil, err
		}
		out = append(out, ts...)
	}
	return out, nil
}

func (s *Service) queryThreads(ctx context.Context, q string, args ...any) ([]Thread, error) {
	rows, err := s.d.Store.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Thread
	for rows.Next() {
		t, err := s.scanThread(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// termCond is the index condition for one search term on ex_terms; the
// last term of a query of at least three letters matches as a prefix.
func termCond(ts []string, i int) (string, []any) {
	if i == len(ts)-1 && len(ts[i]) >= 3 {
		lo, hi := prefixRange(ts[i])
		return `term >= ? AND term < ?`, []any{lo, hi}
	}
	return `term = ?`, []any{ts[i]}
}

const (
	// rareLimit: a term with fewer postings drives the search from them.
	rareLimit = 5000
	// walkPage threads are checked per round when walking newest first.
	walkPage = 400
)

// listTerms finds visible threads that hold every term. The plan is made
// here rather than left to the database, so it is the same on SQLite and
// PostgreSQL: count each term's postings (capped, from the covering
// index); when the rarest is rare, the candidates are the visible threads
// holding it; otherwise the caller's threads are walked newest first, a
// page at a time. Candidates are checked term by term, rarest first, with
// one (thread_id, term) index probe per candidate, and the walk stops as
// soon as a page of results is full.
func (s *Service) listTerms(ctx context.Context, actor *auth.Principal, ts []string, cond string, args []any, limit int) ([]Thread, error) {
	// Posting counts of all terms in one round trip.
	var parts []string
	var cargs []any
	for i := range ts {
		c, a := termCond(ts, i)
		parts = append(parts, `SELECT `+strconv.Itoa(i)+` AS i, COUNT(*) AS n FROM (SELECT 1 FROM ex_terms WHERE `+c+` LIMIT `+strconv.FormatInt(rareLimit, 10)+`) c`+strconv.Itoa(i))
		cargs = append(cargs, a...)
	}
	rows, err := s.d.Store.QueryContext(ctx, strings.Join(parts, ` UNION ALL `), cargs...)
	if err != nil {
		return nil, err
	}
	counts := make([]int, len(ts))
	for rows.Next() {
		var i, n int
		if err := rows.Scan(&i, &n); err != nil {
			rows.Close()
			return nil, err
		}
		counts[i] = n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	order := make([]int, len(ts)) // terms, rarest first
	for i := range order {
		order[i] = i
		if counts[i] == 0 {
			return nil, nil // a term nobody wrote: nothing can match
		}
	}
	slices.SortStableFunc(order, func(a, b int) int { return counts[a] - counts[b] })
	drive := -1
	if counts[order[0]] < rareLimit {
		drive = order[0]
	}
	var found []string
	for _, from := range visibleFrom {
		var ids []string
		check := order
		if drive >= 0 {
			// Every visible thread holding the rare term: at most rareLimit.
			c, a := termCond(ts, drive)
			cands, err := s.threadIDs(ctx, `SELECT t.id, t.updated_at`+from+cond+` AND t.id IN (SELECT thread_id FROM ex_terms WHERE `+c+`) ORDER BY t.updated_at DESC, t.id DESC`,
				append(append([]any{actor.Agency}, args...), a...))
			if err != nil {
				return nil, err
			}
			ids, check = cands, order[1:]
			m, err := s.matching(ctx, ts, check, ids, limit)
			if err != nil {
				return nil, err
			}
			found = append(found, m...)
			continue
		}
		// Walk newest first with keyset pages.
		var lastAt, lastID string
		got := 0
		for {
			q := `SELECT t.id, t.updated_at` + from + cond
			qa := append([]any{actor.Agency}, args...)
			if lastID != "" {
				q += ` AND (t.updated_at < ? OR (t.updated_at = ? AND t.id < ?))`
				qa = append(qa, lastAt, lastAt, lastID)
			}
			page, err := s.threadPage(ctx, q+` ORDER BY t.updated_at DESC, t.id DESC LIMIT `+strconv.FormatInt(walkPage, 10), qa)
			if err != nil {
				return nil, err
			}
			if len(page) == 0 {
				break
			}
			ids = ids[:0]
			for _, p := range page {
				ids = append(ids, p[0])
			}
			lastID, lastAt = page[len(page)-1][0], page[len(page)-1][1]
			m, err := s.matching(ctx, ts, check, ids, limit-got)
			if err != nil {
				return nil, err
			}
			found = append(found, m...)
			got += len(m)
			if got >= limit || len(page) < walkPage {
				break
			}
		}
	}
	if len(found) == 0 {
		return nil, nil
	}
	slices.Sort(found)
	found = slices.Compact(found) // a thread of the agency may also be shared with it
	ph := strings.TrimSuffix(strings.Repeat("?, ", len(found)), ", ")
	fa := make([]any, len(found))
	for i, id := range found {
		fa[i] = id
	}
	return s.queryThreads(ctx, `SELECT `+threadCols+` FROM ex_threads WHERE id IN (`+ph+`)`, fa...)
}

// listTermsSQL is the search as one SQL statement per visibility path:
// each term must occur in the thread (an EXISTS probe on (thread_id,
// term)), and a rare term (< rareLimit postings) restricts the threads to
// its postings. SQLite's planner runs this as a walk of the caller's
// threads newest first with index probes, which measured faster than the
// explicit plan of listTerms; PostgreSQL's planner chose hash joins over
// whole posting lists for it (seconds at a million messages), hence
// listTerms there.
func (s *Service) listTermsSQL(ctx context.Context, actor *auth.Principal, ts []string, where []string, args []any, limit int) ([]Thread, error) {
	rarest, rareCount := -1, rareLimit
	for i := range ts {
		c, targs := termCond(ts, i)
		where = append(where, `EXISTS (SELECT 1 FROM ex_terms x WHERE x.thread_id = t.id AND `+strings.ReplaceAll(c, "term", "x.term")+`)`)
		args = append(args, targs...)
		var n int
		if err := s.d.Store.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM ex_terms WHERE `+c+` LIMIT `+strconv.FormatInt(rareLimit, 10)+`) c`, targs...).Scan(&n); err != nil {
			return nil, err
		}
		if n < rareCount {
			rarest, rareCount = i, n
		}
	}
	if rarest >= 0 {
		c, targs := termCond(ts, rarest)
		where = append(where, `t.id IN (SELECT thread_id FROM ex_terms WHERE `+c+`)`)
		args = append(args, targs...)
	}
	return s.listPlain(ctx, actor, " AND "+strings.Join(where, " AND "), args, limit)
}

// threadPage reads (id, updated_at) pairs.
func (s *Service) threadPage(ctx context.Context, q string, args []any) ([][2]string, error) {
	rows, err := s.d.Store.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][2]string
	for rows.Next() {
		var p [2]string
		if err := rows.Scan(&p[0], &p[1]); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

func (s *Service) threadIDs(ctx context.Context, q string, args []any) ([]string, error) {
	page, err := s.threadPage(ctx, q, args)
	out := make([]string, len(page))
	for i, p := range page {
		out[i] = p[0]
	}
	return out, err
}

// matching keeps the candidates (newest first) that hold every term in
// check, up to limit of them, checking walkPage candidates at a time.
func (s *Service) matching(ctx context.Context, ts []string, check []int, ids []string, limit int) ([]string, error) {
	var out []string
	for len(ids) > 0 && len(out) < limit {
		batch := ids[:min(len(ids), walkPage)]
		ids = ids[len(batch):]
		keep := batch
		for _, i := range check {
			if len(keep) == 0 {
				break
			}
			c, a := termCond(ts, i)
			ph := strings.TrimSuffix(strings.Repeat("?, ", len(keep)), ", ")
			qa := make([]any, 0, len(keep)+2)
			for _, id := range keep {
				qa = append(qa, id)
			}
			rows, err := s.d.Store.QueryContext(ctx, `SELECT DISTINCT thread_id FROM ex_terms WHERE thread_id IN (`+ph+`) AND `+c, append(qa, a...)...)
			if err != nil {
				return nil, err
			}
			has := map[string]bool{}
			for rows.Next() {
				var id string
				if err := rows.Scan(&id); err != nil {
					rows.Close()
					return nil, err
				}
				has[id] = true
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return nil, err
			}
			next := make([]string, 0, len(has))
			for _, id := range keep {
				if has[id] {
					next = append(next, id)
				}
			}
			keep = next
		}
		out = append(out, keep...)
	}
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// prefixed qualifies a column list with a table alias.
func prefixed(alias, cols string) string {
	parts := strings.Split(cols, ",")
	for i, p := range parts {
		parts[i] = alias + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}

// prefixRange gives the half-open range of terms starting with p. Terms
// are folded lower-case letters and digits, so incrementing the last byte
// bounds the range on both databases.
func prefixRange(p string) (string, string) {
	b := []byte(p)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0x7f {
			b[i]++
			return p, string(b[:i+1])
		}
	}
	return p, p + "\U0010FFFF"
}

// openThread is what the dashboard needs of an open request.
type openThread struct {
	parties           []string
	created, deadline time.Time
}

// openThreads reads the open requests visible to an agency.
func openThreads(ctx context.Context, q store.Querier, agency string) ([]openThread, error) {
	rows, err := q.QueryContext(ctx, `SELECT t.id, t.parties, t.created_at, t.deadline_at FROM ex_threads t WHERE t.status = ? AND `+visibleSQL, StatusOpen, agency, agency)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []openThread
	for rows.Next() {
		var id, parties, c, d string
		if err := rows.Scan(&id, &parties, &c, &d); err != nil {
			return nil, err
		}
		var o openThread
		var jc store.JSONColumns
		jc.Decode("parties", parties, &o.parties)
		if err := jc.Err("exchange.Dashboard", "thread "+id); err != nil {
			return nil, err
		}
		o.created, o.deadline = store.ParseTime(c), store.ParseTime(d)
		out = append(out, o)
	}
	return out, rows.Err()
}

// routingRows reads the routing metadata of the newest 500 threads.
func routingRows(ctx context.Context, q store.Querier) ([]RoutingInfo, error) {
	return store.Collect(ctx, q, func(row store.Scanner) (RoutingInfo, error) {
		var r RoutingInfo
		var parties, c, d string
		if err := row.Scan(&r.ID, &r.Priority, &parties, &r.OriginNode, &r.Agency, &r.Status, &c, &d, &r.Messages); err != nil {
			return r, err
		}
		var jc store.JSONColumns
		jc.Decode("parties", parties, &r.Parties)
		r.CreatedAt, r.DeadlineAt = store.ParseTime(c), store.ParseTime(d)
		return r, jc.Err("exchange.Routing", "thread "+r.ID)
	}, `SELECT t.id, t.priority, t.parties, t.origin_node, t.agency, t.status, t.created_at, t.deadline_at,
		(SELECT COUNT(*) FROM ex_messages m WHERE m.thread_id = t.id) FROM ex_threads t ORDER BY t.updated_at DESC LIMIT 500`)
}

// threadMarkings reads the markings of every message of the threads, by
// thread.
func threadMarkings(ctx context.Context, q store.Querier, ids []string) (map[string][]MessageMarkings, error) {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := q.QueryContext(ctx, `SELECT thread_id, classification, handling, onward FROM ex_messages WHERE thread_id IN (?`+strings.Repeat(", ?", len(ids)-1)+`)`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	by := map[string][]MessageMarkings{}
	for rows.Next() {
		var id, h string
		var m MessageMarkings
		var onward int
		if err := rows.Scan(&id, &m.Classification, &h, &onward); err != nil {
			return nil, err
		}
		var jc store.JSONColumns
		jc.Decode("handling", h, &m.Handling)
		if err := jc.Err("exchange.List", "a message of thread "+id); err != nil {
			return nil, err
		}
		m.OnwardAllowed = onward == 1
		by[id] = append(by[id], m)
	}
	return by, rows.Err()
}
