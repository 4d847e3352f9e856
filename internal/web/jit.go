package web

// registerJIT adds the JIT and parallel-investigation pages and API.
func (s *Server) registerJIT() {
	if s.d.JIT == nil {
		return
	}
}
