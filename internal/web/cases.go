package web

// registerCases adds the joint operational database's UI pages and API operations.
func (s *Server) registerCases() {}
