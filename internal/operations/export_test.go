package operations

import (
	"context"

	"github.com/liaison-wb/liaison/internal/store"
)

// Tamper changes a stored log entry's text without fixing its hash.
func Tamper(ctx context.Context, st *store.Store, opID string, seq int64, text string) error {
	return tamperForTest(ctx, st, opID, seq, text)
}
