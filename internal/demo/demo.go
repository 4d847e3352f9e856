// Package demo starts a complete regional federation on loopback: six
// national nodes and one regional body, each with its own database and key,
// seeded with synthetic data and demo accounts.
package demo

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/liaison-wb/liaison/internal/app"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/clock"
	"github.com/liaison-wb/liaison/internal/config"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/exchange"
	"github.com/liaison-wb/liaison/internal/federation"
)

// NodeSpec describes one demo node.
type NodeSpec struct {
	ID      string
	Name    string
	Country string
	Agency  string // agency code of the demo users
}

// Region lists the demo federation: the six Western Balkan participants and
// the SELEC regional centre.
var Region = []NodeSpec{
	{"al", "Albania · State Police", "AL", "al-asp"},
	{"ba", "Bosnia and Herzegovina · Directorate for Coordination of Police Bodies", "BA", "ba-dkpt"},
	{"me", "Montenegro · Police Directorate", "ME", "me-up"},
	{"mk", "North Macedonia · Ministry of Interior", "MK", "mk-mvr"},
	{"rs", "Serbia · Ministry of Interior", "RS", "rs-mup"},
	{"xk", "Kosovo · Kosovo Police", "XK", "xk-pk"},
	{"selec", "SELEC · Southeast European Law Enforcement Center", "", "selec"},
}

// Password is the password of every demo account.
const Password = "liaison-demo-2026"

// Users are created on every node.
var Users = []struct {
	Username, Name string
	Roles          []auth.Role
}{
	{"admin", "Node administrator", []auth.Role{auth.RoleAdmin}},
	{"ncu", "NCU duty operator", []auth.Role{auth.RoleNCUOperator}},
	{"officer", "Investigating officer", []auth.Role{auth.RoleOfficer}},
	{"analyst", "Criminal analyst", []auth.Role{auth.RoleAnalyst}},
	{"prosecutor", "Public prosecutor", []auth.Role{auth.RoleProsecutor}},
	{"auditor", "Data protection officer", []auth.Role{auth.RoleAuditor}},
	{"partner", "Donor coordinator", []auth.Role{auth.RolePartner}},
}

// Options configure a demo run.
type Options struct {
	Dir      string   // parent directory for node data
	BasePort int      // first port; 0 picks free ports
	Nodes    []string // subset of node IDs; empty for all
	Logger   *slog.Logger
	// Progress, when set, is told as each step completes (start-up takes
	// several seconds per node on a small machine).
	Progress func(msg string)
}

// Federation is the running demo.
type Federation struct {
	Nodes []*app.Node
	Specs []NodeSpec
}

// Start opens, seeds and starts every demo node.
func Start(ctx context.Context, opt Options) (*Federation, error) {
	specs, err := selectNodes(opt.Nodes)
	if err != nil {
		return nil, err
	}
	f := &Federation{}
	for i, spec := range specs {
		cfg := config.Default()
		cfg.NodeID, cfg.NodeName = spec.ID, spec.Name
		cfg.DataDir = filepath.Join(opt.Dir, spec.ID)
		cfg.AdminPassword = Password
		cfg.InsecureFederation = true
		cfg.PPRLSecret = RegionalSecret
		cfg.Addr = "127.0.0.1:0"
		if opt.BasePort > 0 {
			cfg.Addr = fmt.Sprintf("127.0.0.1:%d", opt.BasePort+i)
		}
		if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
			f.Close(ctx)
			return nil, errs.Wrap(errs.Unavailable, "demo", "cannot create "+cfg.DataDir, err)
		}
		n, err := app.Open(ctx, cfg, opt.Logger.With("node", spec.ID), clock.System{}, nil)
		if err != nil {
			f.Close(ctx)
			return nil, err
		}
		if err := seedUsers(ctx, n, spec); err != nil {
			n.Close(ctx)
			f.Close(ctx)
			return nil, err
		}
		if err := n.Dir.SeedDemo(ctx); err != nil {
			n.Close(ctx)
			f.Close(ctx)
			return nil, err
		}
		if err := n.Cases.SeedDemo(ctx); err != nil {
			n.Close(ctx)
			f.Close(ctx)
			return nil, err
		}
		if err := n.Start(ctx); err != nil {
			n.Close(ctx)
			f.Close(ctx)
			return nil, err
		}
		f.Nodes = append(f.Nodes, n)
		f.Specs = append(f.Specs, spec)
		// The URL is shown as soon as the node serves, so the first node can
		// be opened while the others start.
		progress(opt, fmt.Sprintf("  %-6s %-24s started (%d of %d)", spec.ID, n.URL(), i+1, len(specs)))
	}
	if err := f.peerAll(ctx); err != nil {
		f.Close(ctx)
		return nil, err
	}
	progress(opt, "  nodes peered with each other; seeding partner activities and messages…")
	// Activities and needs are seeded once peered, so they replicate.
	for _, n := range f.Nodes {
		if err := n.Acts.SeedDemo(ctx); err != nil {
			f.Close(ctx)
			return nil, err
		}
	}
	if err := f.seedExchange(ctx); err != nil {
		f.Close(ctx)
		return nil, err
	}
	for _, n := range f.Nodes {
		if err := n.JIT.SeedDemo(ctx); err != nil {
			f.Close(ctx)
			return nil, err
		}
	}
	if err := f.seedOperations(ctx); err != nil {
		f.Close(ctx)
		return nil, err
	}
	if err := f.seedAlerts(ctx); err != nil {
		f.Close(ctx)
		return nil, err
	}
	if err := f.seedPrivate(ctx); err != nil {
		f.Close(ctx)
		return nil, err
	}
	if err := f.seedAnalysis(ctx); err != nil {
		f.Close(ctx)
		return nil, err
	}
	if err := f.seedAssessment(ctx); err != nil {
		f.Close(ctx)
		return nil, err
	}
	return f, nil
}

func progress(opt Options, msg string) {
	if opt.Progress != nil {
		opt.Progress(msg)
	}
}

// peerAll makes every demo node a peer of every other, over plain HTTP on
// loopback (the demo runs with --insecure-federation).
func (f *Federation) peerAll(ctx context.Context) error {
	for _, a := range f.Nodes {
		for _, b := range f.Nodes {
			if a == b {
				continue
			}
			err := a.Fed.AddPeer(ctx, nil, federation.Peer{ID: b.Cfg.NodeID, Name: b.Cfg.NodeName, URL: b.FederationURL(),
				PublicKey: b.Identity.PublicString(), CertSHA256: federation.CertFingerprint(b.FedTLS)})
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// seedExchange leaves a few messages in motion so the NCU queues are not empty.
func (f *Federation) seedExchange(ctx context.Context) error {
	byID := map[string]*app.Node{}
	for _, n := range f.Nodes {
		byID[n.Cfg.NodeID] = n
	}
	notices := []struct{ from, to, subject, text string }{
		{"rs", "me", "Vehicle of interest heading to Bijelo Polje", "Grey Škoda Octavia, BG-1234-XY, two occupants, suspected of transporting undeclared firearms. Please confirm border crossing records for the last 48 hours."},
		{"al", "xk", "Migrant smuggling route via Vërmica", "Information from a source (B2) about a group organising crossings at night. Requesting a joint assessment with the Kosovo Police border unit."},
		{"mk", "selec", "Request for regional analysis: drug consignments", "Seizures at Tabanovce show a new concealment method. Proposing a SELEC-coordinated analysis with RS and BA."},
	}
	for _, n := range notices {
		src, ok := byID[n.from]
		if !ok || byID[n.to] == nil {
			continue
		}
		var agency string
		for _, s := range f.Specs {
			if s.ID == n.from {
				agency = s.Agency
			}
		}
		officer := &auth.Principal{Username: "officer", Agency: agency, Roles: []auth.Role{auth.RoleOfficer}}
		if _, err := src.Fed.SendNotice(ctx, officer, n.to, n.subject, n.text); err != nil {
			return err
		}
	}
	return f.seedThreads(ctx, byID)
}

// seedThreads opens two exchange threads waiting for NCU approval.
func (f *Federation) seedThreads(ctx context.Context, byID map[string]*app.Node) error {
	threads := []struct {
		from    string
		request exchange.NewThread
	}{
		{"me", exchange.NewThread{Subject: "Ђорђе Јовановић — heroin consignment via Rožaje", CrimeArea: "drugs", Priority: exchange.PriorityUrgent, Parties: []string{"rs"},
			CaseRefs: []string{"ME-UP-117/26"}, Body: "Please confirm whether the vehicle below crossed into Serbia at Dobrakovo/Jabuka in the last 72 hours and who drove it.",
			Markings: exchange.MessageMarkings{Classification: "restricted", Handling: []string{"H0", "H2"}, Reliability: "B", Accuracy: 2},
			Entities: []exchange.MessageEntity{{Kind: "vehicle", Label: "PG-AB-123", Fields: map[string]string{"plate": "PG-AB-123", "make": "Audi A6"}},
				{Kind: "person", Label: "Đorđe Jovanović", Fields: map[string]string{"date_of_birth": "1984-05-17"}}}}},
		{"al", exchange.NewThread{Subject: "Company registry extract: Adriatik Trade sh.p.k.", CrimeArea: "money laundering", Priority: exchange.PriorityNormal, DatabaseInfo: true,
			Parties: []string{"xk", "selec"}, Body: "Requesting the registry extract and beneficial owners of the company below for a joint analysis.",
			Markings: exchange.MessageMarkings{Classification: "unclassified", Handling: []string{"H0"}, Reliability: "A", Accuracy: 1, OnwardAllowed: true},
			Entities: []exchange.MessageEntity{{Kind: "organisation", Label: "Adriatik Trade sh.p.k.", Fields: map[string]string{"reg_no": "L91234567A"}}}}},
	}
	for _, t := range threads {
		src := byID[t.from]
		if src == nil {
			continue
		}
		var parties []string
		for _, p := range t.request.Parties {
			if byID[p] != nil {
				parties = append(parties, p)
			}
		}
		if len(parties) == 0 {
			continue
		}
		t.request.Parties = parties
		var agency string
		for _, s := range f.Specs {
			if s.ID == t.from {
				agency = s.Agency
			}
		}
		officer := &auth.Principal{Username: "officer", Agency: agency, Roles: []auth.Role{auth.RoleOfficer}}
		if _, err := src.Exchange.Compose(ctx, officer, t.request); err != nil {
			return err
		}
	}
	return nil
}

func selectNodes(ids []string) ([]NodeSpec, error) {
	if len(ids) == 0 {
		return Region, nil
	}
	var out []NodeSpec
	for _, id := range ids {
		found := false
		for _, s := range Region {
			if s.ID == strings.TrimSpace(id) {
				out = append(out, s)
				found = true
			}
		}
		if !found {
			return nil, errs.Newf(errs.Invalid, "demo", "unknown demo node %q; choose from al, ba, me, mk, rs, xk, selec", id)
		}
	}
	return out, nil
}

func seedUsers(ctx context.Context, n *app.Node, spec NodeSpec) error {
	for _, u := range Users {
		if u.Username == "admin" {
			continue // created by app.Open with the demo password
		}
		_, err := n.Auth.CreateUser(ctx, nil, auth.NewUser{Username: u.Username, DisplayName: u.Name, Agency: spec.Agency, Roles: u.Roles, Password: Password})
		if err != nil && !errs.Is(err, errs.Conflict) {
			return err
		}
	}
	return nil
}

// Close stops every node.
func (f *Federation) Close(ctx context.Context) {
	for _, n := range f.Nodes {
		_ = n.Close(ctx)
	}
}
