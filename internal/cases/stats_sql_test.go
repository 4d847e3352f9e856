package cases

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/entity"
	"github.com/liaison-wb/liaison/internal/match"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/store/storetest"
)

// statsReference is the statistics algorithm before the counting moved to
// SQL: every case and every suspect and victim read, decoded and counted
// in Go. The statistics must not change.
func (s *Service) statsReference(ctx context.Context, shared bool) (Statistics, error) {
	minCell := 1
	if shared {
		minCell = MinCell
	}
	accs := areaAccs{}
	openedOf := map[string]entity.Date{}
	areaOf := map[string]string{}
	rows, err := s.d.Store.QueryContext(ctx, `SELECT id, crime_area, status, opened_on, created_at, route, modus_operandi FROM cases_cases`)
	if err != nil {
		return Statistics{}, err
	}
	for rows.Next() {
		var id, area, status, opened, created, route, mo string
		if err := rows.Scan(&id, &area, &status, &opened, &created, &route, &mo); err != nil {
			return Statistics{}, err
		}
		var rt []string
		if route != "" {
			if err := json.Unmarshal([]byte(route), &rt); err != nil {
				return Statistics{}, err
			}
		}
		a := accs.get(area)
		a.cases["all"]++
		a.status[status]++
		d, _ := entity.ParseDate(opened)
		if d.Year == 0 {
			t := store.ParseTime(created)
			d = entity.Date{Year: t.Year(), Month: int(t.Month()), Day: t.Day()}
		}
		openedOf[id], areaOf[id] = d, area
		y := a.years[d.Year]
		if y == nil {
			y = &[3]counter{{}, {}, {}}
			a.years[d.Year] = y
		}
		y[0]["cases"]++
		if len(rt) > 0 {
			y[1][strings.Join(rt, "→")]++
		}
		for _, phrase := range strings.FieldsFunc(mo, func(c rune) bool { return c == ',' || c == ';' || c == '\n' }) {
			if ph := strings.TrimSpace(entity.Fold(phrase)); ph != "" && len(ph) <= 80 {
				y[2][ph]++
			}
		}
	}
	rows.Close()
	rows, err = s.d.Store.QueryContext(ctx, `SELECT ce.case_id, ce.role, e.fields FROM cases_case_entities ce JOIN cases_entities e ON e.id = ce.entity_id
		WHERE e.kind = 'person' AND e.merged_into = '' AND ce.role IN ('suspect', 'victim')`)
	if err != nil {
		return Statistics{}, err
	}
	defer rows.Close()
	for rows.Next() {
		var caseID, role, fields string
		if err := rows.Scan(&caseID, &role, &fields); err != nil {
			return Statistics{}, err
		}
		var f map[string]string
		if err := json.Unmarshal([]byte(fields), &f); err != nil {
			return Statistics{}, err
		}
		a := accs[areaOf[caseID]]
		if a == nil {
			continue
		}
		dob, sex, nat := personProfileReference(f, s.d.Region)
		acc := &a.perp
		if role == "victim" {
			acc = &a.vict
		}
		acc[0]["all"]++
		acc[1][ageBand(dob, openedOf[caseID])]++
		acc[2][sex]++
		acc[3][nat]++
	}
	return s.statistics(accs, shared, minCell), rows.Err()
}

// personProfileReference is the profile as the old algorithm computed it
// in line.
func personProfileReference(f map[string]string, region string) (entity.Date, string, string) {
	pp := match.PersonFromFields(f, region)
	dob := pp.DOB
	if dob.IsZero() {
		dob = pp.PersonalID.DOB
	}
	if pp.Sex == entity.SexUnknown {
		pp.Sex = pp.PersonalID.Sex
	}
	nat := pp.Nationality
	if nat == "" {
		nat = "unknown"
	}
	return dob, pp.Sex.String(), nat
}

// statsData writes n varied cases with suspects, victims, witnesses and
// other entities straight into the tables (as data written by other code
// or older versions would be: no statistics columns derived), merging some
// persons.
func statsData(t *testing.T, ctx context.Context, st *store.Store, r *rand.Rand, prefix string, n int) {
	t.Helper()
	areas := []string{"trafficking", "drugs", "smuggling", "cybercrime", "corruption"}
	statuses := []string{"open", "closed", "suspended"}
	opened := []string{"2021-05-03", "", "2022", "03.04.2023", "not a date", "2024-02-29", "2020-13-01", "20230715", "2019-12-31"}
	routes := []string{`[]`, `["AL","ME","BA"]`, `["MK","RS","HU"]`, `["RS"]`, ``}
	mos := []string{"", "cash couriers; hidden compartment", "Cash couriers, cash couriers", "forged documents\nvans at night",
		strings.Repeat("very long phrase ", 6), "Kurirи готовина; ĐAČKI", " ; , "}
	dobs := []string{"1985-03-12", "12.03.1985", "1985", "198503", "", "garbage", "2010-06-30", "1960-01-01", "2005-11-20", "1999-07-15", "00.00.1970"}
	sexes := []string{"m", "F", "female", "", "x", "male", "Ž"}
	nats := []string{"RS", "Serbia", "srb", "", "XK", "ba", "Albania", "??"}
	ids := []string{"", "", "0101990710006", "1505985715123", "12345"}
	roles := []string{"suspect", "victim", "suspect", "victim", "witness", ""}
	created := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	err := st.InTx(ctx, func(tx *store.Tx) error {
		ent := 0
		for i := 0; i < n; i++ {
			cid := fmt.Sprintf("%sc%05d", prefix, i)
			at := store.FormatTime(created.Add(time.Duration(r.IntN(5*365*24)) * time.Hour))
			if _, err := tx.ExecContext(ctx, `INSERT INTO cases_cases (id, reference, title, crime_area, status, opened_on, modus_operandi, route, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				cid, "R-"+cid, "Case", areas[r.IntN(len(areas))], statuses[r.IntN(len(statuses))], opened[r.IntN(len(opened))], mos[r.IntN(len(mos))], routes[r.IntN(len(routes))], at, at); err != nil {
				return err
			}
			for k := r.IntN(4); k >= 0; k-- {
				eid := fmt.Sprintf("%se%06d", prefix, ent)
				ent++
				kind, fields := "person", map[string]string{"given_name": "Ana", "family_name": fmt.Sprintf("F%d", ent),
					"date_of_birth": dobs[r.IntN(len(dobs))], "sex": sexes[r.IntN(len(sexes))], "nationality": nats[r.IntN(len(nats))], "personal_id": ids[r.IntN(len(ids))]}
				if r.IntN(6) == 0 {
					kind, fields = "vehicle", map[string]string{"plate": eid}
				}
				b, _ := json.Marshal(fields)
				merged := ""
				if r.IntN(20) == 0 {
					merged = prefix + "e000000"
				}
				if _, err := tx.ExecContext(ctx, `INSERT INTO cases_entities (id, kind, label, fields, fingerprint, merged_into, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
					eid, kind, eid, string(b), "fp-"+eid, merged, at); err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, `INSERT INTO cases_case_entities (case_id, entity_id, role) VALUES (?, ?, ?)`, cid, eid, roles[r.IntN(len(roles))]); err != nil {
					return err
				}
				if r.IntN(10) == 0 && i > 0 { // the same person in an earlier case too
					other := fmt.Sprintf("%sc%05d", prefix, r.IntN(i))
					if _, err := tx.ExecContext(ctx, `INSERT INTO cases_case_entities (case_id, entity_id, role) VALUES (?, ?, ?)`, other, eid, roles[r.IntN(len(roles))]); err != nil {
						return err
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Counting in SQL gives exactly the statistics of the old algorithm, full
// and shared, on data never derived before, after more cases arrive and
// after merges and unmerges.
func TestStatsMatchReference(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		s := testService(t, st)
		p := &auth.Principal{Username: "ana", Agency: "rs-mup", Roles: []auth.Role{auth.RoleOfficer}}
		r := rand.New(rand.NewPCG(3, 5))
		compare := func(step string) {
			t.Helper()
			for _, shared := range []bool{false, true} {
				got, err := s.Stats(ctx, p, shared)
				if err != nil {
					t.Fatal(step, err)
				}
				want, err := s.statsReference(ctx, shared)
				if err != nil {
					t.Fatal(step, err)
				}
				got.At, want.At = time.Time{}, time.Time{}
				if !reflect.DeepEqual(got, want) {
					g, _ := json.MarshalIndent(got, "", " ")
					w, _ := json.MarshalIndent(want, "", " ")
					t.Fatalf("%s (shared %v): statistics differ\ngot  %s\nwant %s", step, shared, g, w)
				}
				if len(got.Areas) == 0 || got.Areas[0].Perpetrators.Persons == 0 {
					t.Fatalf("%s: too little data counted: %+v", step, got)
				}
			}
		}
		statsData(t, ctx, st, r, "a", 2500)
		compare("first")
		statsData(t, ctx, st, r, "b", 700)
		if _, err := st.ExecContext(ctx, `UPDATE cases_entities SET merged_into = 'ae000001' WHERE id IN ('ae000010', 'be000020', 'be000021')`); err != nil {
			t.Fatal(err)
		}
		if _, err := st.ExecContext(ctx, `UPDATE cases_entities SET merged_into = '' WHERE merged_into <> '' AND pk % 3 = 0`); err != nil {
			t.Fatal(err)
		}
		compare("after more cases and merges")
		// Rows derived by an older version of the code are derived again.
		if _, err := st.ExecContext(ctx, `UPDATE cases_case_entities SET st_ver = 0, st_band = 'stale' WHERE entity_id LIKE 'a%'`); err != nil {
			t.Fatal(err)
		}
		if _, err := st.ExecContext(ctx, `UPDATE cases_cases SET st_ver = 0, st_year = 1 WHERE id LIKE 'b%'`); err != nil {
			t.Fatal(err)
		}
		compare("after a version change")
	})
}

// The node derives the statistics columns of what was written in the
// background, so the first statistics page after an import finds them.
func TestRunStatsDerivesInTheBackground(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		s := testService(t, st)
		statsData(t, ctx, st, rand.New(rand.NewPCG(7, 9)), "r", 300)
		waiting := func() int {
			var a, b int
			if err := st.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM cases_cases WHERE st_ver < ?), (SELECT COUNT(*) FROM cases_case_entities WHERE st_ver < ?)`, statVer, statVer).Scan(&a, &b); err != nil {
				t.Fatal(err)
			}
			return a + b
		}
		if waiting() == 0 {
			t.Fatal("nothing waiting before the background run")
		}
		done := make(chan struct{})
		go func() { s.RunStats(ctx, 20*time.Millisecond); close(done) }()
		deadline := time.Now().Add(20 * time.Second)
		for waiting() > 0 {
			if time.Now().After(deadline) {
				t.Fatalf("%d rows still waiting", waiting())
			}
			time.Sleep(20 * time.Millisecond)
		}
		cancel()
		<-done
	})
}
