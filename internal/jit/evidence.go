package jit

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/federation"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/textutil"
)

// File areas.
const (
	AreaStore    = "store"    // the registering node's copy
	AreaTransfer = "transfer" // received by transfer; purged after download or TTL
)

func (s *Service) seal(plain []byte, aad string) (nonce, ct []byte) {
	block, err := aes.NewCipher(s.d.FileKey)
	if err != nil {
		panic(err)
	}
	g, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	nonce = make([]byte, g.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic(err)
	}
	return nonce, g.Seal(nil, nonce, plain, []byte(aad))
}

func (s *Service) open(nonce, ct []byte, aad string) ([]byte, error) {
	block, err := aes.NewCipher(s.d.FileKey)
	if err != nil {
		return nil, err
	}
	g, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	if len(nonce) != g.NonceSize() {
		return nil, errors.New("bad nonce")
	}
	return g.Open(nil, nonce, ct, []byte(aad))
}

func sha(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// RegisterEvidence registers an item, with its file (encrypted at rest on
// this node) or with the SHA-256 of an item held outside Liaison.
func (s *Service) RegisterEvidence(ctx context.Context, p *auth.Principal, wsID string, in EvidenceInput) (Evidence, error) {
	const op = "jit.RegisterEvidence"
	if err := s.authorize(ctx, p, auth.ActJITEvidence, "jit/"+wsID); err != nil {
		return Evidence{}, err
	}
	e := Evidence{ID: store.NewID(), Title: textutil.Clip(strings.TrimSpace(in.Title), 300), Description: textutil.Clip(strings.TrimSpace(in.Description), 5000), Origin: textutil.Clip(strings.TrimSpace(in.Origin), 1000),
		CollectingParty: strings.ToLower(strings.TrimSpace(in.CollectingParty)), LegalBasis: textutil.Clip(strings.TrimSpace(in.LegalBasis), 1000),
		GoverningLaw: strings.ToLower(strings.TrimSpace(in.GoverningLaw)), FileName: textutil.Clip(strings.TrimSpace(baseName(in.FileName)), 255), ContentType: textutil.Clip(strings.TrimSpace(in.ContentType), 100)}
	switch {
	case e.Title == "":
		return e, errs.New(errs.Invalid, op, "the item needs a title")
	case e.Origin == "":
		return e, errs.New(errs.Invalid, op, "record the origin: where and how the item was obtained")
	case e.LegalBasis == "":
		return e, errs.New(errs.Invalid, op, "record the legal basis on which the item was obtained")
	case int64(len(in.Data)) > s.cfg.MaxFileBytes:
		return e, &errs.E{Kind: errs.TooLarge, Op: op, Msg: "the file is larger than the limit of " + strconv.FormatInt(s.cfg.MaxFileBytes>>10, 10) + " KiB; register it by its SHA-256 and keep it in the national system"}
	}
	if e.CollectingParty == "" {
		e.CollectingParty = s.d.Node
	}
	if e.GoverningLaw == "" {
		e.GoverningLaw = e.CollectingParty
	}
	if len(in.Data) > 0 {
		e.SHA256, e.Size = sha(in.Data), int64(len(in.Data))
		if e.FileName == "" {
			e.FileName = "evidence.bin"
		}
		if e.ContentType == "" {
			e.ContentType = http.DetectContentType(in.Data)
		}
		if h := strings.ToLower(strings.TrimSpace(in.SHA256)); h != "" && h != e.SHA256 {
			return e, errs.New(errs.Invalid, op, "the file does not match the SHA-256 given")
		}
	} else {
		e.SHA256, e.FileName, e.ContentType = strings.ToLower(strings.TrimSpace(in.SHA256)), "", ""
	}
	err := s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		if len(in.Data) > 0 {
			nonce, ct := s.seal(in.Data, e.ID)
			if err := insertFile(ctx, tx, wsID, e.ID, AreaStore, storedFile{nonce: nonce, ct: ct}, s.now(), time.Time{}); err != nil {
				return err
			}
		}
		_, err := s.propose(ctx, tx, wsID, actorOf(p, s.d.Node), EvEvidenceAdd, change{Evidence: &e})
		return err
	})
	if err := s.finish(ctx, p, err, "jit.evidence.add", "jit/"+wsID+"/evidence/"+e.ID); err != nil {
		return Evidence{}, err
	}
	return e, nil
}

func baseName(n string) string {
	n = strings.TrimSpace(n)
	if i := strings.LastIndexAny(n, `/\`); i >= 0 {
		n = n[i+1:]
	}
	return n
}

// TransferEvidence hands custody of an item to another party; when this
// node holds the file it travels to that party's transfer area.
func (s *Service) TransferEvidence(ctx context.Context, p *auth.Principal, wsID, evidenceID, to, note string) (TimelineEvent, error) {
	return s.change(ctx, p, auth.ActJITEvidence, wsID, EvTransfer, change{Evidence2: evidenceID,
		Custody: &Custody{To: strings.ToLower(strings.TrimSpace(to)), Note: textutil.Clip(strings.TrimSpace(note), 1000)}})
}

// AuthoriseUse records that a prosecutor of the governing party authorised
// the item's use in proceedings.
func (s *Service) AuthoriseUse(ctx context.Context, p *auth.Principal, wsID, evidenceID string) (TimelineEvent, error) {
	return s.change(ctx, p, auth.ActJITAuthorise, wsID, EvAuthorise, change{Evidence2: evidenceID})
}

// EvidenceFile is a decrypted file.
type EvidenceFile struct {
	Name        string
	ContentType string
	SHA256      string
	Data        []byte
	Purged      bool // it was in the transfer area and is gone from it now
}

// Download returns an item's file held by this node. The access is added
// to the chain of custody; a file in the transfer area is purged from it.
func (s *Service) Download(ctx context.Context, p *auth.Principal, wsID, evidenceID string) (EvidenceFile, error) {
	const op = "jit.Download"
	if err := s.authorize(ctx, p, auth.ActJITEvidence, "jit/"+wsID+"/evidence/"+evidenceID); err != nil {
		return EvidenceFile{}, err
	}
	var f EvidenceFile
	err := s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		ws, err := s.load(ctx, tx, wsID, false)
		if err != nil {
			return err
		}
		e := ws.evidence(evidenceID)
		if e == nil || ws.member(s.d.Node, p.Username) == nil {
			return errs.New(errs.NotFound, op, "no such item of evidence")
		}
		file, err := fileOf(ctx, tx, wsID, evidenceID)
		if errors.Is(err, sql.ErrNoRows) {
			return errs.New(errs.NotFound, op, "this node does not hold the file of this item (it was never sent here, or it was downloaded or purged from the transfer area); ask its custodian "+e.Custodian)
		}
		if err != nil {
			return err
		}
		plain, err := s.open(file.nonce, file.ct, evidenceID)
		if err != nil {
			return errs.Wrap(errs.Internal, op, "the stored file cannot be decrypted with this node's key", err)
		}
		if sha(plain) != e.SHA256 {
			return errs.New(errs.Conflict, op, "the stored file does not match the SHA-256 in the register; it was not released")
		}
		f = EvidenceFile{Name: e.FileName, ContentType: e.ContentType, SHA256: e.SHA256, Data: plain}
		action := "accessed"
		if file.area == AreaTransfer {
			if err := deleteFile(ctx, tx, evidenceID, ""); err != nil {
				return err
			}
			action, f.Purged = "downloaded", true
		}
		_, err = s.propose(ctx, tx, wsID, actorOf(p, s.d.Node), EvAccess, change{Evidence2: evidenceID, Custody: &Custody{Action: action, Note: "file " + e.FileName}})
		return err
	})
	if err := s.finish(ctx, p, err, "jit.evidence.download", "jit/"+wsID+"/evidence/"+evidenceID); err != nil {
		return EvidenceFile{}, err
	}
	return f, nil
}

// PurgeTransfers removes files that waited in the transfer area past their
// time; the register entry and its chain of custody stay.
func (s *Service) PurgeTransfers(ctx context.Context) (int, error) {
	due, err := dueTransfers(ctx, s.d.Store, s.d.Clock.Now())
	if err != nil {
		return 0, err
	}
	n := 0
	for _, it := range due {
		evID, wsID := it[0], it[1]
		err := s.d.Store.InTx(ctx, func(tx *store.Tx) error {
			if err := deleteFile(ctx, tx, evID, AreaTransfer); err != nil {
				return err
			}
			_, err := s.propose(ctx, tx, wsID, Actor{Node: s.d.Node, Username: SystemUser}, EvAccess,
				change{Evidence2: evID, Custody: &Custody{Action: "purged", Note: "not downloaded within " + strconv.FormatInt(int64(s.cfg.TransferTTL.Hours()/24), 10) + " days; removed from the transfer area"}})
			return err
		})
		if err != nil {
			return n, err
		}
		n++
	}
	if n > 0 {
		_, _ = s.d.Audit.Drain(ctx)
		s.notify()
	}
	return n, nil
}

// ChainCheck is the result of verifying one item's chain of custody.
type ChainCheck struct {
	EvidenceID string `json:"evidence_id"`
	Entries    int    `json:"entries"`
	OK         bool   `json:"ok"`
	BadEntry   int64  `json:"bad_entry,omitempty"`
	Problem    string `json:"problem,omitempty"`
}

// VerifyCustody recomputes the hash chain of every item of a workspace.
func (s *Service) VerifyCustody(ctx context.Context, p *auth.Principal, wsID string) ([]ChainCheck, error) {
	ws, err := s.Get(ctx, p, wsID)
	if err != nil {
		return nil, err
	}
	out := []ChainCheck{}
	for _, e := range ws.Evidence {
		bad, why := verifyChain(e.ID, e.SHA256, e.Custody)
		out = append(out, ChainCheck{EvidenceID: e.ID, Entries: len(e.Custody), OK: bad == 0, BadEntry: bad, Problem: why})
	}
	if err := s.record(ctx, p, "jit.evidence.verify", "jit/"+wsID, "", strconv.Itoa(len(out))+" chains checked"); err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Service) loadEvidence(ctx context.Context, q store.Querier, w *Workspace, full bool) error {
	evs, err := workspaceEvidence(ctx, q, w.ID)
	if err != nil {
		return err
	}
	w.Evidence = append(w.Evidence, evs...)
	if !full {
		return nil
	}
	for i := range w.Evidence {
		e := &w.Evidence[i]
		if e.Custody, err = custodyOf(ctx, q, e.ID); err != nil {
			return err
		}
		bad, _ := verifyChain(e.ID, e.SHA256, e.Custody)
		e.ChainOK = bad == 0
	}
	return nil
}

// afterApply runs the node-local consequences of an applied event: the
// node holding a transferred file sends it, and the receiving node records
// the receipt once it has both the file and the transfer.
func (s *Service) afterApply(ctx context.Context, tx *store.Tx, ev TimelineEvent, ch change) error {
	if ev.Kind != EvTransfer || ch.Custody == nil {
		return nil
	}
	c := ch.Custody
	switch s.d.Node {
	case c.From:
		if s.d.Fed == nil {
			return nil
		}
		file, err := fileOf(ctx, tx, "", ch.Evidence2)
		if errors.Is(err, sql.ErrNoRows) {
			return nil // the item is held outside Liaison
		}
		if err != nil {
			return err
		}
		plain, err := s.open(file.nonce, file.ct, ch.Evidence2)
		if err != nil {
			return errs.Wrap(errs.Internal, "jit.transfer", "the stored file cannot be decrypted with this node's key", err)
		}
		_, err = s.d.Fed.Enqueue(ctx, tx, federation.Outgoing{To: c.To, Type: TypeFile, Conversation: "jit-file/" + ch.Evidence2,
			Payload: FileTransfer{Workspace: ev.Workspace, Evidence: ch.Evidence2, SHA256: sha(plain), Data: plain},
			Summary: "jit " + ev.Workspace + " evidence file " + ch.Evidence2})
		return err
	case c.To:
		area, err := fileArea(ctx, tx, ch.Evidence2)
		if errors.Is(err, sql.ErrNoRows) || area != AreaTransfer {
			return nil // the file follows, or there is none
		}
		if err != nil {
			return err
		}
		return s.receipt(ctx, tx, ev.Workspace, ch.Evidence2)
	}
	return nil
}

func (s *Service) receipt(ctx context.Context, tx *store.Tx, wsID, evidenceID string) error {
	_, err := s.propose(ctx, tx, wsID, Actor{Node: s.d.Node, Username: SystemUser}, EvAccess,
		change{Evidence2: evidenceID, Custody: &Custody{Action: "received", Note: "file received in the transfer area, SHA-256 verified"}})
	return err
}
