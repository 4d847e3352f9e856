package directory

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/liaison-wb/liaison/internal/store"
)

// The SQL of searching the directory and of the node settings the
// publisher keeps.

// searchRows finds the records whose folded search text contains every
// token, ranked by kind (countries first) and with exact phrases first.
func searchRows(ctx context.Context, q store.Querier, toks []string) ([]SearchHit, error) {
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
		rows, err := q.QueryContext(ctx, src.q+` LIMIT 500`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			h, err := src.hit(rows.Scan)
			if err != nil {
				rows.Close()
				return nil, err
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
			return nil, err
		}
	}
	return out, nil
}

// setting reads a node setting, "" when it is not set.
func setting(ctx context.Context, q store.Querier, key string) (string, error) {
	var v string
	err := q.QueryRowContext(ctx, `SELECT value FROM node_settings WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, err
}

func putSetting(ctx context.Context, tx *store.Tx, key, value string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO node_settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
	return err
}

// staged is a peer's snapshot kept until it is applied.
type staged struct{ from, body string }

func stagedSnapshots(ctx context.Context, q store.Querier) ([]staged, error) {
	rows, err := q.QueryContext(ctx, `SELECT key, value FROM node_settings WHERE key LIKE ?`, inboundPrefix+"%")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var items []staged
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, err
		}
		items = append(items, staged{strings.TrimPrefix(k, inboundPrefix), v})
	}
	return items, rows.Err()
}

// clearStagedSnapshot removes a staged snapshot unless a newer one arrived
// meanwhile.
func clearStagedSnapshot(ctx context.Context, q store.Querier, it staged) error {
	_, err := q.ExecContext(ctx, `DELETE FROM node_settings WHERE key = ? AND value = ?`, inboundPrefix+it.from, it.body)
	return err
}
