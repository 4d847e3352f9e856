package directory

import (
	"context"
	"crypto/sha256"
	"database/sql"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	_ "time/tzdata" // time zones of contact points validate without the OS database

	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/store"
)

// The reference data (countries, mechanisms, multilateral agreements) is a
// versioned file with sources for every record, embedded in the binary.
//
//go:embed seed/reference.json
var referenceJSON []byte

// SeedFile is the format of seed/reference.json.
type SeedFile struct {
	Format     string          `json:"format"`
	Version    int             `json:"version"`
	Updated    string          `json:"updated"`
	Note       string          `json:"note"`
	Countries  []SeedCountry   `json:"countries"`
	Mechanisms []SeedMechanism `json:"mechanisms"`
	Agreements []SeedAgreement `json:"agreements"`
}

// SeedCountry is a country in the seed file.
type SeedCountry struct {
	Code       string   `json:"code"`
	Name       string   `json:"name"`
	LocalNames []string `json:"local_names"`
	Kind       string   `json:"kind"`
	Parent     string   `json:"parent"`
	Node       string   `json:"node"`
	TimeZone   string   `json:"time_zone"`
	Languages  []string `json:"languages"`
	Note       string   `json:"note"`
	Sources    []string `json:"sources"`
}

// SeedMechanism is a mechanism in the seed file; Parent is a code.
type SeedMechanism struct {
	MechanismInput
	Owner  string `json:"owner"`
	Parent string `json:"parent"`
}

// SeedAgreement is an agreement in the seed file; Mechanism is a code.
type SeedAgreement struct {
	AgreementInput
	Key       string `json:"key"`
	Owner     string `json:"owner"`
	Mechanism string `json:"mechanism"`
}

// Reference parses the embedded seed file.
func Reference() (SeedFile, error) {
	var f SeedFile
	if err := json.Unmarshal(referenceJSON, &f); err != nil {
		return f, errs.Wrap(errs.Internal, "directory.Reference", "the directory seed file is not valid JSON", err)
	}
	if f.Format != "liaison-directory-seed" {
		return f, errs.New(errs.Internal, "directory.Reference", "the directory seed file has the wrong format marker")
	}
	for _, c := range f.Countries {
		if len(c.Sources) == 0 {
			return f, errs.Newf(errs.Internal, "directory.Reference", "seed country %s has no sources", c.Code)
		}
	}
	for _, m := range f.Mechanisms {
		if len(m.Sources) == 0 {
			return f, errs.Newf(errs.Internal, "directory.Reference", "seed mechanism %s has no sources", m.Code)
		}
	}
	for _, a := range f.Agreements {
		if len(a.Sources) == 0 {
			return f, errs.Newf(errs.Internal, "directory.Reference", "seed agreement %s has no sources", a.Key)
		}
	}
	return f, nil
}

func hashOf(v any) string {
	b, _ := json.Marshal(v)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:12])
}

// SeedReport counts what seeding changed.
type SeedReport struct {
	Inserted, Updated, KeptLocal int
}

// Seed loads the reference data idempotently: missing records are added,
// records still equal to an older seed are updated, records an
// administrator has edited are left alone. Safe to run on every start.
func (s *Service) Seed(ctx context.Context) (SeedReport, error) {
	f, err := Reference()
	if err != nil {
		return SeedReport{}, err
	}
	return s.seed(ctx, f)
}

func (s *Service) seed(ctx context.Context, f SeedFile) (SeedReport, error) {
	const op = "directory.Seed"
	var rep SeedReport
	// state reports whether a row is missing, current, stale-from-seed or locally edited.
	state := func(tx *store.Tx, table, key, keyCol, hash string) (string, error) {
		h, err := seedHashOf(ctx, tx, table, keyCol, key)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return "missing", nil
		case err != nil:
			return "", err
		case h == "":
			rep.KeptLocal++
			return "local", nil
		case h == hash:
			return "current", nil
		}
		return "stale", nil
	}
	err := s.st.InTx(ctx, func(tx *store.Tx) error {
		// Parents first so entity rows can name them.
		for _, c := range f.Countries {
			h := hashOf(c)
			st, err := state(tx, "dir_countries", c.Code, "code", h)
			if err != nil {
				return err
			}
			search := searchText(append([]string{c.Code, c.Name}, c.LocalNames...)...)
			switch st {
			case "missing":
				err = insertSeedCountry(ctx, tx, c, h, search, s.clock.Now())
				rep.Inserted++
			case "stale":
				err = updateSeedCountry(ctx, tx, c, h, search, s.clock.Now())
				rep.Updated++
			}
			if err != nil {
				return fmt.Errorf("country %s: %w", c.Code, err)
			}
		}
		for _, m := range f.Mechanisms {
			h := hashOf(m)
			id := seedID("mechanism", m.Code)
			in := m.MechanismInput
			if m.Parent != "" {
				in.ParentID = seedID("mechanism", m.Parent)
			}
			st, err := state(tx, "dir_mechanisms", id, "id", h)
			if err != nil {
				return err
			}
			if st == "missing" || st == "stale" {
				// Validate like an administrator's edit: the seed file must
				// obey the same rules. Parents may come later in the file,
				// so they are checked once everything is inserted.
				parent := in.ParentID
				in.ParentID = ""
				if in, err = s.cleanMechanism(ctx, tx, op, in); err != nil {
					return fmt.Errorf("seed mechanism %s: %w", m.Code, err)
				}
				in.ParentID = parent
			}
			switch st {
			case "missing":
				err = s.insertMechanism(ctx, tx, id, m.Owner, in, h, "seed")
				rep.Inserted++
			case "stale":
				err = updateSeedMechanism(ctx, tx, id, m.Owner, in, h, s.clock.Now())
				rep.Updated++
			}
			if err != nil {
				return fmt.Errorf("seed mechanism %s: %w", m.Code, err)
			}
		}
		for _, m := range f.Mechanisms {
			if m.Parent != "" {
				if _, err := s.mechanism(ctx, tx, seedID("mechanism", m.Parent)); err != nil {
					return fmt.Errorf("seed mechanism %s: parent %s: %w", m.Code, m.Parent, err)
				}
			}
		}
		for _, a := range f.Agreements {
			h := hashOf(a)
			id := seedID("agreement", a.Key)
			in := a.AgreementInput
			if a.Mechanism != "" {
				in.MechanismID = seedID("mechanism", a.Mechanism)
			}
			st, err := state(tx, "dir_agreements", id, "id", h)
			if err != nil {
				return err
			}
			var c cleanedAgreement
			if st == "missing" || st == "stale" {
				if c, err = s.cleanAgreement(ctx, tx, op, in); err != nil {
					return fmt.Errorf("seed agreement %s: %w", a.Key, err)
				}
			}
			switch st {
			case "missing":
				err = s.insertAgreement(ctx, tx, id, a.Owner, c, h, "seed")
				rep.Inserted++
			case "stale":
				err = updateSeedAgreement(ctx, tx, id, a.Owner, c, h, s.clock.Now())
				rep.Updated++
			}
			if err != nil {
				return fmt.Errorf("seed agreement %s: %w", a.Key, err)
			}
		}
		if rep.Inserted+rep.Updated == 0 {
			return nil
		}
		return s.recordTx(ctx, tx, nil, "directory.seed", "directory/seed",
			fmt.Sprintf("seed version %d: inserted=%d updated=%d kept_local=%d", f.Version, rep.Inserted, rep.Updated, rep.KeptLocal))
	})
	if errs.Is(err, errs.Unavailable) {
		return SeedReport{}, err
	}
	if err != nil {
		// A seed file that breaks the directory's own rules is a defect of
		// the release, not a user's mistake.
		return rep, errs.Wrap(errs.Internal, op, "the directory seed data could not be loaded", err)
	}
	return rep, nil
}
