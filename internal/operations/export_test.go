package operations

import (
	"context"

	"github.com/liaison-wb/liaison/internal/store"
)

// Tamper changes a stored log entry's text without fixing its hash.
func Tamper(ctx context.Context, st *store.Store, opID string, seq int64, text string) error {
	return tamperForTest(ctx, st, opID, seq, text)
}

// ParseEventForTest and ParseOpenForTest expose the payload parsers to the fuzz tests.
func ParseEventForTest(raw []byte) error {
	_, err := parseEvent(raw)
	return err
}

func ParseOpenForTest(from string, raw []byte) error {
	_, err := parseOpen(from, raw)
	return err
}

// Follower polls as Follow does, one round per call.
type Follower struct{ f *follower }

func NewFollower(s *Service) *Follower { return &Follower{f: &follower{s: s}} }

func (f *Follower) Poll(ctx context.Context) error { return f.f.poll(ctx) }
