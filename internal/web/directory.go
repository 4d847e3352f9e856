package web

// registerDirectory adds the directory's UI pages and API operations.
func (s *Server) registerDirectory() {}
