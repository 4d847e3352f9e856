// Storage of cases, entities, their index keys and relations: every SQL
// statement of these tables is here, behind typed functions; the service
// holds none.

package cases

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/liaison-wb/liaison/internal/store"
)

type scanner = store.Scanner

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// ---- cases

const caseCols = `id, reference, title, crime_area, status, opened_on, closed_on, places, modus_operandi, route, links, created_by, created_at, updated_at`

func scanCase(r scanner) (Case, error) {
	var jc store.JSONColumns
	var c Case
	var places, route, links, ca, ua string
	if err := r.Scan(&c.ID, &c.Reference, &c.Title, &c.CrimeArea, &c.Status, &c.OpenedOn, &c.ClosedOn, &places, &c.ModusOperandi, &route, &links, &c.CreatedBy, &ca, &ua); err != nil {
		return c, err
	}
	jc.Decode("places", places, &c.Places)
	jc.Decode("route", route, &c.Route)
	jc.Decode("links", links, &c.Links)
	c.Places, c.Route, c.Links = nz(c.Places), nz(c.Route), nz(c.Links)
	c.CreatedAt, c.UpdatedAt = store.ParseTime(ca), store.ParseTime(ua)
	return c, jc.Err("cases.scanCase", "case "+c.ID)
}

// caseByReference reads a case by its reference; sql.ErrNoRows when none.
func caseByReference(ctx context.Context, q store.Querier, ref string) (Case, error) {
	return scanCase(q.QueryRowContext(ctx, `SELECT `+caseCols+` FROM cases_cases WHERE reference = ?`, ref))
}

// caseByIDOrRef reads a case by ID or reference; sql.ErrNoRows when none.
func caseByIDOrRef(ctx context.Context, q store.Querier, idOrRef string) (Case, error) {
	return scanCase(q.QueryRowContext(ctx, `SELECT `+caseCols+` FROM cases_cases WHERE id = ? OR reference = ?`, idOrRef, idOrRef))
}

// caseKey reads the ID and reference of a case named by either;
// sql.ErrNoRows when none.
func caseKey(ctx context.Context, q store.Querier, idOrRef string) (id, ref string, err error) {
	err = q.QueryRowContext(ctx, `SELECT id, reference FROM cases_cases WHERE reference = ? OR id = ?`, idOrRef, idOrRef).Scan(&id, &ref)
	return id, ref, err
}

// countCases counts the cases with this reference, or also this ID when
// byID.
func countCases(ctx context.Context, q store.Querier, ref string, byID bool) (int, error) {
	var n int
	var err error
	if byID {
		err = q.QueryRowContext(ctx, `SELECT COUNT(*) FROM cases_cases WHERE reference = ? OR id = ?`, ref, ref).Scan(&n)
	} else {
		err = q.QueryRowContext(ctx, `SELECT COUNT(*) FROM cases_cases WHERE reference = ?`, ref).Scan(&n)
	}
	return n, err
}

func insertCase(ctx context.Context, tx *store.Tx, c Case) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO cases_cases (id, reference, title, crime_area, status, opened_on, closed_on, places, modus_operandi, route, links, created_by, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, c.ID, c.Reference, c.Title, c.CrimeArea, c.Status, c.OpenedOn, c.ClosedOn, jsonText(c.Places),
		c.ModusOperandi, jsonText(c.Route), jsonText(c.Links), c.CreatedBy, store.FormatTime(c.CreatedAt), store.FormatTime(c.UpdatedAt))
	return err
}

// listCases reads the newest 500 cases, optionally of one crime area.
func listCases(ctx context.Context, q store.Querier, crimeArea string) ([]Case, error) {
	query := `SELECT ` + caseCols + ` FROM cases_cases`
	var args []any
	if crimeArea != "" {
		query += ` WHERE crime_area = ?`
		args = append(args, crimeArea)
	}
	return store.Collect(ctx, q, scanCase, query+` ORDER BY created_at DESC LIMIT 500`, args...)
}

// caseMembers reads the entities of a case with their roles.
func caseMembers(ctx context.Context, q store.Querier, caseID string) ([]CaseMember, error) {
	return store.Collect(ctx, q, func(r store.Scanner) (CaseMember, error) {
		var m CaseMember
		err := r.Scan(&m.Entity.ID, &m.Entity.Kind, &m.Entity.Label, &m.Role)
		return m, err
	}, `SELECT e.id, e.kind, e.label, ce.role FROM cases_case_entities ce JOIN cases_entities e ON e.id = ce.entity_id WHERE ce.case_id = ? ORDER BY e.kind, e.label`, caseID)
}

// entityCases reads the cases an entity appears in.
func entityCases(ctx context.Context, q store.Querier, entityID string) ([]CaseRole, error) {
	return store.Collect(ctx, q, func(r store.Scanner) (CaseRole, error) {
		var c CaseRole
		err := r.Scan(&c.CaseID, &c.Reference, &c.Title, &c.Role)
		return c, err
	}, `SELECT c.id, c.reference, c.title, ce.role FROM cases_case_entities ce JOIN cases_cases c ON c.id = ce.case_id WHERE ce.entity_id = ? ORDER BY c.reference`, entityID)
}

// linkEntity puts an entity in a case; an existing link is kept.
func linkEntity(ctx context.Context, tx *store.Tx, caseID, entityID, role string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO cases_case_entities (case_id, entity_id, role) VALUES (?, ?, ?) ON CONFLICT (case_id, entity_id) DO NOTHING`, caseID, entityID, role)
	return err
}

// caseLink is an entity's place in a case.
type caseLink struct{ caseID, entityID, role string }

// linkEntities puts entities into cases in bulk (COPY on PostgreSQL);
// existing links are kept.
func linkEntities(ctx context.Context, tx *store.Tx, links []caseLink) error {
	rows := make([][]any, len(links))
	for i, l := range links {
		rows[i] = []any{l.caseID, l.entityID, l.role}
	}
	return tx.InsertMany(ctx, store.Bulk{Table: "cases_case_entities", Columns: []string{"case_id", "entity_id", "role"}, Conflict: "case_id, entity_id"}, rows, nil)
}

// ---- entities

const entityCols = `pk, id, kind, label, fields, aliases, source, merged_into, created_by, created_at`

func scanEntity(r scanner) (Entity, error) { return scanEntityWith(r) }

// scanEntityFP reads entityCols and the fingerprint after them.
func scanEntityFP(r scanner) (Entity, string, error) {
	var fp string
	e, err := scanEntityWith(r, &fp)
	return e, fp, err
}

// scanEntityWith reads entityCols and then the extra columns into extra.
func scanEntityWith(r scanner, extra ...any) (Entity, error) {
	var jc store.JSONColumns
	var e Entity
	var f, a, at string
	if err := r.Scan(append([]any{&e.pk, &e.ID, &e.Kind, &e.Label, &f, &a, &e.Source, &e.MergedInto, &e.CreatedBy, &at}, extra...)...); err != nil {
		return e, err
	}
	jc.Decode("fields", f, &e.Fields)
	jc.Decode("aliases", a, &e.Aliases)
	if e.Fields == nil {
		e.Fields = map[string]string{}
	}
	e.Aliases = nz(e.Aliases)
	e.CreatedAt = store.ParseTime(at)
	return e, jc.Err("cases.scanEntity", "entity "+e.ID)
}

// insertEntity stores e unless an entity with the same fingerprint is
// stored; it sets e.pk and reports whether it inserted.
func insertEntity(ctx context.Context, tx *store.Tx, e *Entity, fp string, ix storedIndex) (bool, error) {
	stmt, err := tx.Prepared(ctx, `INSERT INTO cases_entities (id, kind, label, fields, aliases, fingerprint, source, created_by, created_at, ix_keys, ix_rec, ix_ver) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (fingerprint) DO NOTHING RETURNING pk`)
	if err != nil {
		return false, err
	}
	err = stmt.QueryRowContext(ctx, e.ID, e.Kind, e.Label, jsonText(e.Fields), jsonText(e.Aliases), fp, e.Source, e.CreatedBy,
		store.FormatTime(e.CreatedAt), ix.keys, ix.rec, ix.ver).Scan(&e.pk)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// newEntity is an entity about to be inserted with its fingerprint and
// index data.
type newEntity struct {
	e           Entity
	fingerprint string
	ix          storedIndex
	// fields and aliases are e.Fields and e.Aliases as JSON text, encoded
	// beforehand by an import's preparation (off the writer).
	fields, aliases string
}

// entityBulk is how entity rows are written in bulk.
func entityBulk() store.Bulk {
	return store.Bulk{Table: "cases_entities",
		Columns:  []string{"id", "kind", "label", "fields", "aliases", "fingerprint", "source", "created_by", "created_at", "ix_keys", "ix_rec", "ix_ver"},
		Conflict: "fingerprint", Returning: "id, pk"}
}

// insertEntities inserts entities in bulk (COPY on PostgreSQL), skipping
// those whose fingerprint is stored (or repeated in ents), and returns the
// primary keys of those inserted by ID.
func insertEntities(ctx context.Context, tx *store.Tx, ents []newEntity) (map[string]int64, error) {
	out := make(map[string]int64, len(ents))
	rows := make([][]any, len(ents))
	vals := make([]any, len(ents)*12) // one allocation for every row's values
	created := ""
	for i, n := range ents {
		e := n.e
		if i == 0 || !e.CreatedAt.Equal(ents[i-1].e.CreatedAt) {
			created = store.FormatTime(e.CreatedAt)
		}
		if n.fields == "" {
			n.fields, n.aliases = jsonText(e.Fields), jsonText(e.Aliases)
		}
		rows[i] = vals[i*12 : (i+1)*12 : (i+1)*12]
		copy(rows[i], []any{e.ID, e.Kind, e.Label, n.fields, n.aliases, n.fingerprint, e.Source, e.CreatedBy, created, n.ix.keys, n.ix.rec, n.ix.ver})
	}
	err := tx.InsertMany(ctx, entityBulk(), rows, func(r store.Scanner) error {
		var id string
		var pk int64
		if err := r.Scan(&id, &pk); err != nil {
			return err
		}
		out[id] = pk
		return nil
	})
	return out, err
}

// entitiesByFingerprints reads the entities with these fingerprints.
func entitiesByFingerprints(ctx context.Context, q store.Querier, fps []string) (map[string]Entity, error) {
	out := make(map[string]Entity, len(fps))
	for len(fps) > 0 {
		n := min(len(fps), 500)
		args := make([]any, n)
		for i, fp := range fps[:n] {
			args[i] = fp
		}
		es, err := store.Collect(ctx, q, func(r store.Scanner) (struct {
			e  Entity
			fp string
		}, error) {
			var x struct {
				e  Entity
				fp string
			}
			var err error
			x.e, x.fp, err = scanEntityFP(r)
			return x, err
		}, `SELECT `+entityCols+`, fingerprint FROM cases_entities WHERE fingerprint IN (`+strings.TrimSuffix(strings.Repeat("?, ", n), ", ")+`)`, args...)
		if err != nil {
			return nil, err
		}
		for _, x := range es {
			out[x.fp] = x.e
		}
		fps = fps[n:]
	}
	return out, nil
}

// entityByFingerprint reads the entity with this fingerprint.
func entityByFingerprint(ctx context.Context, q store.Querier, fp string) (Entity, error) {
	return scanEntity(q.QueryRowContext(ctx, `SELECT `+entityCols+` FROM cases_entities WHERE fingerprint = ?`, fp))
}

// countFingerprint counts the entities with this fingerprint (0 or 1).
func countFingerprint(ctx context.Context, q store.Querier, fp string) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM cases_entities WHERE fingerprint = ?`, fp).Scan(&n)
	return n, err
}

// entityByID reads one entity; sql.ErrNoRows when none.
func entityByID(ctx context.Context, q store.Querier, id string) (Entity, error) {
	return scanEntity(q.QueryRowContext(ctx, `SELECT `+entityCols+` FROM cases_entities WHERE id = ?`, id))
}

// liveEntitiesByPK reads the entities among pks that are not merged.
func liveEntitiesByPK(ctx context.Context, q store.Querier, pks []int64) ([]Entity, error) {
	args := make([]any, len(pks))
	for i, pk := range pks {
		args[i] = pk
	}
	return store.Collect(ctx, q, scanEntity, `SELECT `+entityCols+` FROM cases_entities WHERE pk IN (`+placeholders(len(pks))+`) AND merged_into = ''`, args...)
}

// liveEntities reads every entity not merged into another, in storage
// order, optionally of one kind and at most limit (0: all).
func liveEntities(ctx context.Context, q store.Querier, kind string, limit int) ([]Entity, error) {
	query := `SELECT ` + entityCols + ` FROM cases_entities WHERE merged_into = ''`
	var args []any
	if kind != "" {
		query += ` AND kind = ?`
		args = append(args, kind)
	}
	query += ` ORDER BY pk`
	if limit > 0 {
		query += ` LIMIT ?`
		args = append(args, limit)
	}
	return store.Collect(ctx, q, scanEntity, query, args...)
}

// storedIndex is the candidate index data stored with an entity.
type storedIndex struct {
	keys, rec []byte
	ver       int64
}

// indexRow is what the in-memory index needs of an entity.
type indexRow struct {
	pk   int64
	kind string
	f, a string
	ix   storedIndex
}

// indexPage reads up to page live entities after pk, in pk order, for
// building the in-memory index.
func indexPage(ctx context.Context, q store.Querier, after int64, page int) ([]indexRow, error) {
	rows, err := q.QueryContext(ctx, `SELECT pk, kind, fields, aliases, ix_keys, ix_rec, ix_ver FROM cases_entities WHERE pk > ? AND merged_into = '' ORDER BY pk LIMIT ?`, after, page)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []indexRow
	for rows.Next() {
		var r indexRow
		if err := rows.Scan(&r.pk, &r.kind, &r.f, &r.a, &r.ix.keys, &r.ix.rec, &r.ix.ver); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// slimsByID reads the IDs, kinds and labels of entities, in batches.
func slimsByID(ctx context.Context, q store.Querier, ids []string) ([]EntitySlim, error) {
	out := []EntitySlim{}
	for len(ids) > 0 {
		n := min(len(ids), 200)
		args := make([]any, n)
		for i, id := range ids[:n] {
			args[i] = id
		}
		got, err := store.Collect(ctx, q, scanSlim, `SELECT id, kind, label FROM cases_entities WHERE id IN (`+placeholders(n)+`)`, args...)
		if err != nil {
			return nil, err
		}
		out = append(out, got...)
		ids = ids[n:]
	}
	return out, nil
}

// mergedSlims reads the entities merged into id.
func mergedSlims(ctx context.Context, q store.Querier, id string) ([]EntitySlim, error) {
	return store.Collect(ctx, q, scanSlim, `SELECT id, kind, label FROM cases_entities WHERE merged_into = ? ORDER BY id`, id)
}

func scanSlim(r store.Scanner) (EntitySlim, error) {
	var m EntitySlim
	err := r.Scan(&m.ID, &m.Kind, &m.Label)
	return m, err
}

// maxEntityPK is the highest entity pk stored (0 for none).
func maxEntityPK(ctx context.Context, q store.Querier) (int64, error) {
	var n int64
	err := q.QueryRowContext(ctx, `SELECT COALESCE(MAX(pk), 0) FROM cases_entities`).Scan(&n)
	return n, err
}

// bulkPerson is one new person of a bulk load with its chosen pk.
type bulkPerson struct {
	pk          int64
	id, label   string
	fields      map[string]string
	fingerprint string
	ix          storedIndex
}

// personBulk is how a bulk load writes persons, with pks it chose.
func personBulk() store.Bulk {
	return store.Bulk{Table: "cases_entities",
		Columns:  []string{"pk", "id", "kind", "label", "fields", "aliases", "fingerprint", "source", "created_by", "created_at", "ix_keys", "ix_rec", "ix_ver"},
		Conflict: "fingerprint", Returning: "pk"}
}

// insertPersons inserts persons in bulk (COPY on PostgreSQL), skipping
// those whose fingerprint is stored, and returns the pks actually inserted.
func insertPersons(ctx context.Context, tx *store.Tx, ps []bulkPerson, source, by, at string) ([]int64, error) {
	rows := make([][]any, len(ps))
	for i, p := range ps {
		rows[i] = []any{p.pk, p.id, "person", p.label, jsonText(p.fields), "[]", p.fingerprint, source, by, at, p.ix.keys, p.ix.rec, p.ix.ver}
	}
	var out []int64
	err := tx.InsertMany(ctx, personBulk(), rows, func(r store.Scanner) error {
		var pk int64
		if err := r.Scan(&pk); err != nil {
			return err
		}
		out = append(out, pk)
		return nil
	})
	return out, err
}

// resyncEntityPKs moves the entity pk sequence past the pks a bulk load
// chose itself.
func resyncEntityPKs(ctx context.Context, st *store.Store) error {
	return st.SyncSerial(ctx, "cases_entities", "pk")
}

// ---- merging

// entityKind reads an entity's kind and what it is merged into;
// sql.ErrNoRows when none.
func entityKind(ctx context.Context, q store.Querier, id string) (kind, mergedInto string, err error) {
	err = q.QueryRowContext(ctx, `SELECT kind, merged_into FROM cases_entities WHERE id = ?`, id).Scan(&kind, &mergedInto)
	return kind, mergedInto, err
}

// mergeEntity marks dup merged into keep, and what was merged into dup as
// merged into keep; it returns dup's pk, or false when dup was already
// merged.
func mergeEntity(ctx context.Context, tx *store.Tx, keep, dup string) (int64, bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE cases_entities SET merged_into = ? WHERE id = ? AND merged_into = ''`, keep, dup)
	if err != nil {
		return 0, false, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return 0, false, nil
	}
	if _, err = tx.ExecContext(ctx, `UPDATE cases_entities SET merged_into = ? WHERE merged_into = ?`, keep, dup); err != nil {
		return 0, false, err
	}
	var pk int64
	err = tx.QueryRowContext(ctx, `SELECT pk FROM cases_entities WHERE id = ?`, dup).Scan(&pk)
	return pk, err == nil, err
}

// unmergeEntity restores a merged entity and returns its pk;
// sql.ErrNoRows when it is not merged.
func unmergeEntity(ctx context.Context, tx *store.Tx, id string) (int64, error) {
	var pk int64
	err := tx.QueryRowContext(ctx, `UPDATE cases_entities SET merged_into = '' WHERE id = ? AND merged_into <> '' RETURNING pk`, id).Scan(&pk)
	return pk, err
}

// ---- relations

const relationCols = `id, from_id, to_id, type, note, created_at`

// countEntitiesIn counts how many of the two entities exist.
func countEntitiesIn(ctx context.Context, q store.Querier, a, b string) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM cases_entities WHERE id IN (?, ?)`, a, b).Scan(&n)
	return n, err
}

// insertRelation stores r unless the same relation is stored; it reports
// whether it inserted.
func insertRelation(ctx context.Context, tx *store.Tx, r Relation) (bool, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO cases_relations (id, from_id, to_id, type, note, created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (from_id, to_id, type) DO NOTHING`,
		r.ID, r.From, r.To, r.Type, r.Note, store.FormatTime(r.CreatedAt))
	if err != nil {
		return false, err
	}
	k, err := res.RowsAffected()
	return k > 0, err
}

func scanRelation(row store.Scanner) (Relation, error) {
	var r Relation
	var at string
	err := row.Scan(&r.ID, &r.From, &r.To, &r.Type, &r.Note, &at)
	r.CreatedAt = store.ParseTime(at)
	return r, err
}

// relationsOf reads the first 500 relations of an entity.
func relationsOf(ctx context.Context, q store.Querier, id string) ([]Relation, error) {
	return store.Collect(ctx, q, scanRelation, `SELECT `+relationCols+` FROM cases_relations WHERE from_id = ? OR to_id = ? ORDER BY created_at LIMIT 500`, id, id)
}

// relationsAmong reads the relations between entities of ids.
func relationsAmong(ctx context.Context, q store.Querier, ids []string) ([]Relation, error) {
	args := make([]any, 0, 2*len(ids))
	for _, id := range ids {
		args = append(args, id)
	}
	args = append(args, args...)
	ph := placeholders(len(ids))
	return store.Collect(ctx, q, scanRelation, `SELECT `+relationCols+` FROM cases_relations WHERE from_id IN (`+ph+`) AND to_id IN (`+ph+`) ORDER BY created_at`, args...)
}

// allRelations reads every relation, oldest first.
func allRelations(ctx context.Context, q store.Querier) ([]Relation, error) {
	return store.Collect(ctx, q, scanRelation, `SELECT `+relationCols+` FROM cases_relations ORDER BY created_at`)
}

// eachLiveEntity calls fn with every entity not merged into another, in
// storage order, without holding them all in memory.
func eachLiveEntity(ctx context.Context, q store.Querier, fn func(Entity) error) error {
	rows, err := q.QueryContext(ctx, `SELECT `+entityCols+` FROM cases_entities WHERE merged_into = '' ORDER BY pk`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanEntity(rows)
		if err != nil {
			return err
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return rows.Err()
}

// ---- the matching model

// storedModel reads the fitted model's JSON; sql.ErrNoRows when none.
func storedModel(ctx context.Context, q store.Querier) (string, error) {
	var raw string
	err := q.QueryRowContext(ctx, `SELECT model FROM cases_model WHERE id = 1`).Scan(&raw)
	return raw, err
}

// saveModel replaces the fitted model.
func saveModel(ctx context.Context, tx *store.Tx, model string, records int, at time.Time) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM cases_model WHERE id = 1`); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO cases_model (id, model, records, fitted_at) VALUES (1, ?, ?, ?)`, model, records, store.FormatTime(at))
	return err
}

// personFields reads the IDs and fields of up to limit live persons whose
// key is a multiple of stride, in storage order.
func personFields(ctx context.Context, q store.Querier, limit, stride int) ([]Entity, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, fields, aliases FROM cases_entities WHERE kind = ? AND merged_into = '' AND pk % ? = 0 ORDER BY pk LIMIT ?`, "person", max(stride, 1), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Entity
	for rows.Next() {
		var e Entity
		var f, a string
		if err := rows.Scan(&e.ID, &f, &a); err != nil {
			return nil, err
		}
		var jc store.JSONColumns
		jc.Decode("fields", f, &e.Fields)
		jc.Decode("aliases", a, &e.Aliases)
		if err := jc.Err("cases.FitModel", "entity "+e.ID); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
