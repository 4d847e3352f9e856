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
			if _, err := tx.ExecContext(ctx, `INSERT INTO jit_files (evidence_id, workspace_id, area, nonce, data, received_at) VALUES (?, ?, ?, ?, ?, ?)`,
				e.ID, wsID, AreaStore, nonce, ct, store.FormatTime(s.now())); err != nil {
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
		var area string
		var nonce, ct []byte
		err = tx.QueryRowContext(ctx, `SELECT area, nonce, data FROM jit_files WHERE evidence_id = ? AND workspace_id = ?`, evidenceID, wsID).Scan(&area, &nonce, &ct)
		if errors.Is(err, sql.ErrNoRows) {
			return errs.New(errs.NotFound, op, "this node does not hold the file of this item (it was never sent here, or it was downloaded or purged from the transfer area); ask its custodian "+e.Custodian)
		}
		if err != nil {
			return err
		}
		plain, err := s.open(nonce, ct, evidenceID)
		if err != nil {
			return errs.Wrap(errs.Internal, op, "the stored file cannot be decrypted with this node's key", err)
		}
		if sha(plain) != e.SHA256 {
			return errs.New(errs.Conflict, op, "the stored file does not match the SHA-256 in the register; it was not released")
		}
		f = EvidenceFile{Name: e.FileName, ContentType: e.ContentType, SHA256: e.SHA256, Data: plain}
		action := "accessed"
		if area == AreaTransfer {
			if _, err := tx.ExecContext(ctx, `DELETE FROM jit_files WHERE evidence_id = ?`, evidenceID); err != nil {
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
	rows, err := s.d.Store.QueryContext(ctx, `SELECT evidence_id, workspace_id FROM jit_files WHERE area = ? AND purge_at <= ?`, AreaTransfer, store.FormatTime(s.d.Clock.Now()))
	if err != nil {
		return 0, err
	}
	type item struct{ ev, ws string }
	var due []item
	for rows.Next() {
		var it item
		if err := rows.Scan(&it.ev, &it.ws); err != nil {
			rows.Close()
			return 0, err
		}
		due = append(due, it)
	}
	rows.Close()
	n := 0
	for _, it := range due {
		err := s.d.Store.InTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.ExecContext(ctx, `DELETE FROM jit_files WHERE evidence_id = ? AND area = ?`, it.ev, AreaTransfer); err != nil {
				return err
			}
			_, err := s.propose(ctx, tx, it.ws, Actor{Node: s.d.Node, Username: SystemUser}, EvAccess,
				change{Evidence2: it.ev, Custody: &Custody{Action: "purged", Note: "not downloaded within " + strconv.FormatInt(int64(s.cfg.TransferTTL.Hours()/24), 10) + " days; removed from the transfer area"}})
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
	rows, err := q.QueryContext(ctx, `SELECT e.id, e.title, e.description, e.sha256, e.size, e.file_name, e.content_type, e.origin, e.collecting_party, e.legal_basis,
		e.governing_law, e.custodian, e.use_authorised, e.use_authorised_by, e.registered_by, e.registered_at, COALESCE(f.area, ''), COALESCE(f.purge_at, '')
		FROM jit_evidence e LEFT JOIN jit_files f ON f.evidence_id = e.id WHERE e.workspace_id = ? ORDER BY e.registered_at, e.id`, w.ID)
	if err != nil {
		return err
	}
	for rows.Next() {
		e := Evidence{Workspace: w.ID}
		var ua int
		var at, purge string
		if err := rows.Scan(&e.ID, &e.Title, &e.Description, &e.SHA256, &e.Size, &e.FileName, &e.ContentType, &e.Origin, &e.CollectingParty, &e.LegalBasis,
			&e.GoverningLaw, &e.Custodian, &ua, &e.UseAuthorisedBy, &e.RegisteredBy, &at, &e.FileHere, &purge); err != nil {
			rows.Close()
			return err
		}
		e.UseAuthorised, e.RegisteredAt, e.PurgeAt = ua == 1, store.ParseTime(at), parseOpt(purge)
		w.Evidence = append(w.Evidence, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil || !full {
		return err
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

func custodyOf(ctx context.Context, q store.Querier, evidenceID string) ([]Custody, error) {
	rows, err := q.QueryContext(ctx, `SELECT n, action, from_party, to_party, actor, actor_node, note, at, prev_hash, hash FROM jit_custody WHERE evidence_id = ? ORDER BY n`, evidenceID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Custody
	for rows.Next() {
		var c Custody
		var at string
		if err := rows.Scan(&c.N, &c.Action, &c.From, &c.To, &c.Actor, &c.ActorNode, &c.Note, &at, &c.PrevHash, &c.Hash); err != nil {
			return nil, err
		}
		c.At = store.ParseTime(at)
		out = append(out, c)
	}
	return out, rows.Err()
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
		var nonce, ct []byte
		err := tx.QueryRowContext(ctx, `SELECT nonce, data FROM jit_files WHERE evidence_id = ?`, ch.Evidence2).Scan(&nonce, &ct)
		if errors.Is(err, sql.ErrNoRows) {
			return nil // the item is held outside Liaison
		}
		if err != nil {
			return err
		}
		plain, err := s.open(nonce, ct, ch.Evidence2)
		if err != nil {
			return errs.Wrap(errs.Internal, "jit.transfer", "the stored file cannot be decrypted with this node's key", err)
		}
		_, err = s.d.Fed.Enqueue(ctx, tx, federation.Outgoing{To: c.To, Type: TypeFile, Conversation: "jit-file/" + ch.Evidence2,
			Payload: FileTransfer{Workspace: ev.Workspace, Evidence: ch.Evidence2, SHA256: sha(plain), Data: plain},
			Summary: "jit " + ev.Workspace + " evidence file " + ch.Evidence2})
		return err
	case c.To:
		var area string
		err := tx.QueryRowContext(ctx, `SELECT area FROM jit_files WHERE evidence_id = ?`, ch.Evidence2).Scan(&area)
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
