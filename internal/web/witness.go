package web

import (
	"context"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/liaison-wb/liaison/internal/audit"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/federation"
	"github.com/liaison-wb/liaison/internal/witness"
)

// registerWitness adds the peers' call endpoint (for nodes without a
// separate federation listener), the auditor's witness page and its API.
func (s *Server) registerWitness() {
	wt := s.d.Witness
	if wt == nil {
		return
	}
	s.handle("POST", federation.CallPrefix+witness.CallHeld, auth.ActFederationCall, wt.CallHandler().ServeHTTP)
	s.handle("GET", "/audit/witnesses", auth.ActAuditWitnesses, s.witnessPage)
	s.handle("POST", "/audit/witnesses/check", auth.ActAuditWitnessRun, s.witnessCheck)

	tags := []string{"Audit"}
	register(s, huma.Operation{OperationID: "get-audit-witnesses", Method: http.MethodGet, Path: "/api/v1/audit/witnesses",
		Summary: "Witnessing state: cosignatures peers returned for this node's log, peer logs witnessed here, alarms", Tags: tags},
		auth.ActAuditWitnesses, func(ctx context.Context, _ *emptyInput) (*Body[witness.Status], error) {
			st, err := wt.Status(ctx)
			return &Body[witness.Status]{st}, err
		})
	register(s, huma.Operation{OperationID: "check-audit-witnesses", Method: http.MethodPost, Path: "/api/v1/audit/witnesses/check",
		Summary: "Verify the audit log against the checkpoints its peers hold (asked live)", Tags: tags},
		auth.ActAuditWitnessRun, func(ctx context.Context, _ *emptyInput) (*Body[WitnessCheck], error) {
			out, err := s.runWitnessCheck(ctx)
			return &Body[WitnessCheck]{out}, err
		})
}

// WitnessCheck is the outcome of verifying the log against its witnesses.
type WitnessCheck struct {
	OK       bool                  `json:"ok"`
	Entries  int64                 `json:"entries"`
	Problems []string              `json:"problems"`
	Peers    []WitnessCheckPeer    `json:"peers"`
	Results  []audit.WitnessResult `json:"-"`
}

// WitnessCheckPeer is one peer's part in a check.
type WitnessCheckPeer struct {
	Peer   string `json:"peer"`
	Size   int64  `json:"tree_size,omitempty"`
	Agrees bool   `json:"agrees"`
	Error  string `json:"error,omitempty"`
}

func (s *Server) runWitnessCheck(ctx context.Context) (WitnessCheck, error) {
	rep, held, err := s.d.Witness.Verify(ctx, nil)
	if err != nil {
		return WitnessCheck{}, err
	}
	out := WitnessCheck{OK: rep.OK(), Entries: rep.Entries, Problems: rep.Problems}
	if out.Problems == nil {
		out.Problems = []string{}
	}
	agrees := map[string]bool{}
	for _, r := range rep.Witnessed {
		agrees[r.Witness] = r.OK
	}
	for _, h := range held {
		p := WitnessCheckPeer{Peer: h.Peer, Error: h.Error}
		if h.Witnessed != nil {
			p.Size, p.Agrees = h.Witnessed.Size, agrees[h.Peer]
		}
		out.Peers = append(out.Peers, p)
	}
	p := PrincipalFrom(ctx)
	outcome := audit.OK
	if !out.OK {
		outcome = audit.Failed
	}
	if err := s.d.Audit.Record(ctx, audit.Entry{Actor: p.Username, Agency: p.Agency, Action: "audit.witness.check", Object: "audit", Outcome: outcome,
		Detail: strings.Join(rep.Problems, "; ")}); err != nil {
		return WitnessCheck{}, err
	}
	return out, nil
}

func (s *Server) witnessPage(w http.ResponseWriter, r *http.Request) {
	s.renderWitnesses(w, r, nil)
}

func (s *Server) witnessCheck(w http.ResponseWriter, r *http.Request) {
	out, err := s.runWitnessCheck(r.Context())
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	s.renderWitnesses(w, r, &out)
}

func (s *Server) renderWitnesses(w http.ResponseWriter, r *http.Request, check *WitnessCheck) {
	st, err := s.d.Witness.Status(r.Context())
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	data := map[string]any{"Status": st, "Check": check}
	if head, err := audit.Head(r.Context(), s.d.Store); err == nil {
		data["Head"] = head
	}
	s.render(w, r, http.StatusOK, "audit_witnesses", "witness.title", "nav.audit", data, "", "")
}
