package directory

import "context"

// SeedWith seeds from a given file, so tests can simulate a newer release.
func SeedWith(ctx context.Context, s *Service, f SeedFile) (SeedReport, error) { return s.seed(ctx, f) }
