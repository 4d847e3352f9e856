// Photos of wanted persons: one JPEG or PNG per person alert, checked on
// upload and again on receipt from a partner (content sniffed, header
// decoded, size and dimensions bounded), replicated in the signed
// alerts.publish envelope and covered by the alert's digest. A photo is
// read through the same visibility rules as its alert, and every read is
// audited.

package alerts

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"image"
	_ "image/jpeg" // registers the JPEG decoder for DecodeConfig
	_ "image/png"  // registers the PNG decoder for DecodeConfig
	"net/http"
	"strconv"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/store"
)

// Photo limits. A photo travels base64-encoded inside one federation
// envelope (at most federation.MaxPayloadBytes, 4 MiB): 2 MiB of image is
// about 2.7 MiB encoded, which leaves room for the rest of the alert.
const (
	MaxPhotoBytes = 2 << 20
	MaxPhotoSide  = 4096 // pixels, each side
	MinPhotoSide  = 16
)

// PhotoInfo describes the photo of a wanted person.
type PhotoInfo struct {
	ContentType string `json:"content_type" enum:"image/jpeg,image/png"`
	Width       int    `json:"width"`
	Height      int    `json:"height"`
	Size        int64  `json:"size" doc:"bytes"`
	SHA256      string `json:"sha256" doc:"part of the alert's digest"`
}

// Photo is a photo with its content.
type Photo struct {
	PhotoInfo
	Data []byte
}

func photoErr(op, code, format string, args ...any) error {
	e := errs.Newf(errs.Invalid, op, format, args...)
	e.Code = code
	return e
}

// checkPhoto validates an uploaded or received photo: JPEG or PNG by its
// content (not by what the sender claims), at most MaxPhotoBytes, a header
// that decodes, and sides within bounds.
func checkPhoto(op string, data []byte) (Photo, error) {
	if len(data) == 0 {
		return Photo{}, photoErr(op, "photo-empty", "the photo is empty")
	}
	if len(data) > MaxPhotoBytes {
		return Photo{}, photoErr(op, "photo-too-large", "the photo is larger than %s (at most 2 MiB)", sizeText(len(data)))
	}
	ct := http.DetectContentType(data)
	if ct != "image/jpeg" && ct != "image/png" {
		return Photo{}, photoErr(op, "photo-type", "the photo must be a JPEG or PNG image")
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || "image/"+format != ct {
		return Photo{}, photoErr(op, "photo-unreadable", "the photo is not a readable JPEG or PNG image")
	}
	if cfg.Width < MinPhotoSide || cfg.Height < MinPhotoSide || cfg.Width > MaxPhotoSide || cfg.Height > MaxPhotoSide {
		return Photo{}, photoErr(op, "photo-dimensions", "the photo is %d×%d pixels; each side must be between 16 and 4096", cfg.Width, cfg.Height)
	}
	sum := sha256.Sum256(data)
	return Photo{PhotoInfo: PhotoInfo{ContentType: ct, Width: cfg.Width, Height: cfg.Height, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:])}, Data: data}, nil
}

func sizeText(n int) string {
	return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB"
}

// putPhoto stores (or replaces) the photo of an alert and records its
// SHA-256 on the alert row.
func putPhoto(ctx context.Context, tx *store.Tx, id string, p Photo, at string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM alert_photos WHERE alert_id = ?`, id); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO alert_photos (alert_id, content_type, width, height, size, sha256, data, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		id, p.ContentType, p.Width, p.Height, p.Size, p.SHA256, p.Data, at); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `UPDATE alerts SET photo_sha256 = ? WHERE id = ?`, p.SHA256, id)
	return err
}

// dropPhoto removes the photo of an alert.
func dropPhoto(ctx context.Context, tx *store.Tx, id string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM alert_photos WHERE alert_id = ?`, id); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `UPDATE alerts SET photo_sha256 = '' WHERE id = ?`, id)
	return err
}

// photoInfo reads the description of an alert's photo (nil: none).
func photoInfo(ctx context.Context, q store.Querier, id string) (*PhotoInfo, error) {
	var p PhotoInfo
	err := q.QueryRowContext(ctx, `SELECT content_type, width, height, size, sha256 FROM alert_photos WHERE alert_id = ?`, id).
		Scan(&p.ContentType, &p.Width, &p.Height, &p.Size, &p.SHA256)
	if isNoRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// loadPhoto reads an alert's photo with its content.
func loadPhoto(ctx context.Context, q store.Querier, id string) (Photo, error) {
	var p Photo
	err := q.QueryRowContext(ctx, `SELECT content_type, width, height, size, sha256, data FROM alert_photos WHERE alert_id = ?`, id).
		Scan(&p.ContentType, &p.Width, &p.Height, &p.Size, &p.SHA256, &p.Data)
	return p, err
}

// GetPhoto returns the photo of an alert the caller may see: front-line
// users only those of active, unhidden alerts, partners none. Every read
// is audited.
func (s *Service) GetPhoto(ctx context.Context, actor *auth.Principal, id string) (Photo, error) {
	const op = "alerts.GetPhoto"
	if err := auth.Authorize(actor, auth.ActAlertsView); err != nil {
		return Photo{}, err
	}
	a, err := s.visible(ctx, actor, id)
	if err != nil {
		return Photo{}, err
	}
	p, err := loadPhoto(ctx, s.d.Store, a.ID)
	if isNoRows(err) {
		return Photo{}, errs.New(errs.NotFound, op, "this alert has no photo")
	}
	if err != nil {
		return Photo{}, unavailable(op, err)
	}
	return p, s.audit(ctx, actor, "alerts.photo.read", a.ID, p.ContentType+" SHA-256 "+p.SHA256)
}

// checkLinks verifies that every linked alert exists on this node and that
// the caller may see it; an alert is not linked to itself.
func (s *Service) checkLinks(ctx context.Context, actor *auth.Principal, op, self string, ids []string) error {
	for _, id := range ids {
		if id == self {
			return errs.New(errs.Invalid, op, "an alert cannot be linked to itself")
		}
		if _, err := s.visible(ctx, actor, id); err != nil {
			if errs.Is(err, errs.NotFound) {
				return errs.Newf(errs.Invalid, op, "linked alert %s does not exist or you may not see it", quote(id))
			}
			return err
		}
	}
	return nil
}

// linked describes the linked alerts held on this node that the caller
// may see, in the order given.
func (s *Service) linked(ctx context.Context, actor *auth.Principal, ids []string) ([]LinkedAlert, error) {
	out := []LinkedAlert{}
	if len(ids) == 0 {
		return out, nil
	}
	as, err := s.alertsByID(ctx, s.d.Store, ids, false)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		a, ok := as[id]
		if !ok || !auth.AlertVisible(actor, s.facts(actor, a)) {
			continue
		}
		out = append(out, LinkedAlert{ID: a.ID, Kind: a.Kind, Label: a.Label, Status: a.Status, Subject: a.Subject})
	}
	return out, nil
}
