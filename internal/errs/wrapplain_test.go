package errs_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/liaison-wb/liaison/internal/errs"
)

func TestWrapPlain(t *testing.T) {
	if errs.WrapPlain(errs.Unavailable, "op", "db down", nil) != nil {
		t.Fatal("nil must stay nil")
	}
	driver := errors.New("connection refused")
	got := errs.WrapPlain(errs.Unavailable, "op", "the directory database is unavailable", driver)
	if !errs.Is(got, errs.Unavailable) || errs.SafeMessage(got) != "the directory database is unavailable" || !errors.Is(got, driver) {
		t.Fatalf("driver error: %v", got)
	}
	rule := fmt.Errorf("while saving: %w", errs.New(errs.Conflict, "op", "changed meanwhile"))
	if got := errs.WrapPlain(errs.Unavailable, "op", "db down", rule); got != rule || !errs.Is(got, errs.Conflict) {
		t.Fatalf("a domain error keeps its kind and message: %v", got)
	}
}
