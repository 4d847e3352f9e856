package store

import "github.com/google/uuid"

// NewID returns a fresh row identifier: a UUIDv7, so identifiers sort by
// creation time.
func NewID() string { return uuid.Must(uuid.NewV7()).String() }
