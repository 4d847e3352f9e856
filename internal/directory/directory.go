// Package directory is the regional directory every other module refers to:
// countries and agencies, role-based contact points with a handover
// workflow, regional mechanisms, bilateral and multilateral agreements and
// the record of whether they are used.
//
// Each node is the authority for its own entries: every record carries the
// node that owns it (owner_node) and a version, administrators change only
// records their node owns, and a node can publish its own records to peers
// (Snapshot / ApplySnapshot) without ever overwriting another node's.
package directory

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/liaison-wb/liaison/internal/audit"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/clock"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/textutil"
)

// StaleAfter is how long a contact point may go without confirmation
// before it is flagged: staff turnover is the commonest reason a request
// goes nowhere.
const StaleAfter = 90 * 24 * time.Hour

// RegionOwner owns reference records maintained in the versioned seed file
// rather than by a node (for example the Horizontal Facility). They change
// by editing the seed file, which is reviewed like code.
const RegionOwner = "region"

// Service is the directory of one node.
type Service struct {
	st     *store.Store
	audit  *audit.Log
	clock  clock.Clock
	logger *slog.Logger
	node   string

	mu    sync.RWMutex
	usage map[string]UsageSource
	work  map[string]WorkSource
}

// New builds the directory service for node (the node ID from config,
// e.g. "rs" or "selec").
func New(st *store.Store, al *audit.Log, clk clock.Clock, logger *slog.Logger, node string) *Service {
	return &Service{st: st, audit: al, clock: clk, logger: logger, node: node,
		usage: map[string]UsageSource{}, work: map[string]WorkSource{}}
}

// Node is the ID of the node this directory belongs to.
func (s *Service) Node() string { return s.node }

// Day is a calendar date, "YYYY-MM-DD", or empty when unknown.
type Day string

var dayRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

func parseDay(op, field, v string) (Day, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", nil
	}
	if !dayRE.MatchString(v) {
		return "", errs.Newf(errs.Invalid, op, "%s must be a date written YYYY-MM-DD, not %q", field, textutil.Ellipsis(v, 40))
	}
	if _, err := time.Parse("2006-01-02", v); err != nil {
		return "", errs.Newf(errs.Invalid, op, "%s %q is not a real calendar date", field, v)
	}
	return Day(v), nil
}

func (s *Service) today() Day { return Day(s.clock.Now().UTC().Format("2006-01-02")) }

// Meta are the fields every record carries for ownership and replication.
type Meta struct {
	OwnerNode string    `json:"owner_node" doc:"node that is the authority for this record"`
	Version   int64     `json:"version" doc:"increases with every change; peers keep the highest"`
	UpdatedAt time.Time `json:"updated_at"`
	UpdatedBy string    `json:"updated_by,omitempty"`
	Sources   []string  `json:"sources" doc:"where the information comes from"`
	Seeded    bool      `json:"seeded" doc:"still identical to the versioned seed file"`
}

// Editable reports whether administrators of node may change the record.
func (m Meta) Editable(node string) bool { return m.OwnerNode == node }

// seedID derives the same ID for a seed record on every node, so peers
// agree on identities without coordination.
func seedID(kind, key string) string {
	return uuid.NewSHA1(seedNamespace, []byte(kind+"/"+key)).String()
}

var seedNamespace = uuid.MustParse("6f1c5e0a-3f7e-4d52-9b1e-2c7d1f0e9a11")

func actorOf(p *auth.Principal) (string, string) {
	if p == nil {
		return "system", ""
	}
	return p.Username, p.Agency
}

// record writes one audit entry; an action that cannot be audited fails.
func (s *Service) record(ctx context.Context, p *auth.Principal, action, object, detail string) error {
	actor, agency := actorOf(p)
	return s.audit.Record(ctx, audit.Entry{Actor: actor, Agency: agency, Action: action, Object: object, Detail: detail})
}

// recordTx queues the audit entry of a change in the change's transaction:
// the change and its entry commit together or not at all.
func (s *Service) recordTx(ctx context.Context, tx *store.Tx, p *auth.Principal, action, object, detail string) error {
	actor, agency := actorOf(p)
	return s.audit.Queue(ctx, tx, audit.Entry{Actor: actor, Agency: agency, Action: action, Object: object, Detail: detail})
}

// mayEdit applies the policy (administrators only) and ownership: a node
// edits only what it owns.
func (s *Service) mayEdit(ctx context.Context, p *auth.Principal, op string, action auth.Action, owner, object string) error {
	if err := auth.Authorize(p, action); err != nil {
		return err
	}
	if owner == s.node {
		return nil
	}
	msg := "this entry is maintained by node " + owner + "; ask that node's administrators to change it"
	if owner == RegionOwner {
		msg = "this entry is regional reference data maintained in the directory seed file; propose the change there"
	}
	actor, agency := actorOf(p)
	_ = s.audit.Record(ctx, audit.Entry{Actor: actor, Agency: agency, Action: string(action), Object: object, Outcome: audit.Denied, Detail: msg})
	return &errs.E{Kind: errs.Forbidden, Op: op, Msg: msg, Code: "not-owner"}
}

// checkCountryOwned refuses entries for another node's country.
func (s *Service) checkCountryOwned(ctx context.Context, q store.Querier, op, country string) error {
	own, err := s.nodeCountries(ctx, q)
	if err != nil {
		return err
	}
	if own[country] {
		return nil
	}
	node, err := countryNode(ctx, q, country)
	if errors.Is(err, sql.ErrNoRows) {
		return errs.Newf(errs.Invalid, op, "unknown country code %q", country)
	}
	if err != nil {
		return errs.Wrap(errs.Unavailable, op, "cannot read countries", err)
	}
	if node == "" {
		return &errs.E{Kind: errs.Forbidden, Op: op, Code: "not-owner", Msg: "no node is the authority for " + country + " entries yet; they cannot be created here"}
	}
	return &errs.E{Kind: errs.Forbidden, Op: op, Code: "not-owner", Msg: "entries for " + country + " are maintained by node " + node + "; this node (" + s.node + ") may only add its own country's entries"}
}

// text trims and bounds a free-text field.
func text(op, field, v string, max int, required bool) (string, error) {
	v = strings.TrimSpace(v)
	if required && v == "" {
		return "", errs.Newf(errs.Invalid, op, "%s is required", field)
	}
	if len([]rune(v)) > max {
		return "", errs.Newf(errs.Invalid, op, "%s is too long (at most %d characters)", field, max)
	}
	if strings.ContainsAny(v, "\x00") {
		return "", errs.Newf(errs.Invalid, op, "%s contains a NUL character", field)
	}
	return v, nil
}

// cleanList trims, drops empty entries and duplicates, keeping order.
func cleanList(in []string) []string { return textutil.CleanList(in, nil) }

var langRE = regexp.MustCompile(`^[a-z]{2,3}(-[A-Za-z]{2,4})?$`)

func cleanLanguages(op string, in []string) ([]string, error) {
	out := cleanList(in)
	for _, l := range out {
		if !langRE.MatchString(l) {
			return nil, errs.Newf(errs.Invalid, op, "language %q must be a code such as sq, sr, sr-Cyrl, mk, bs, hr or en", textutil.Ellipsis(l, 20))
		}
	}
	return out, nil
}

func cleanSources(op string, in []string) ([]string, error) {
	out := cleanList(in)
	if len(out) > 20 {
		return nil, errs.New(errs.Invalid, op, "at most 20 sources")
	}
	for _, s := range out {
		if len(s) > 500 {
			return nil, errs.New(errs.Invalid, op, "a source is too long (at most 500 characters)")
		}
	}
	return out, nil
}

// checkCountries validates a list of country codes against the table.
func (s *Service) checkCountries(ctx context.Context, q store.Querier, op, field string, codes []string) ([]string, error) {
	out := []string{}
	seen := map[string]bool{}
	for _, c := range codes {
		c = strings.ToUpper(strings.TrimSpace(c))
		if c == "" || seen[c] {
			continue
		}
		seen[c] = true
		n, err := countCountries(ctx, q, c)
		if err != nil {
			return nil, errs.Wrap(errs.Unavailable, op, "cannot read countries", err)
		}
		if n == 0 {
			return nil, errs.Newf(errs.Invalid, op, "%s: unknown country code %q (use AL, BA, ME, MK, RS, XK or an ISO code of a partner)", field, textutil.Ellipsis(c, 20))
		}
		out = append(out, c)
	}
	return out, nil
}

func dbErr(op string, err error) error {
	return errs.WrapPlain(errs.Unavailable, op, "the directory database is unavailable", err)
}
