package web

// registerFederation adds the federation UI pages, API operations and the
// peer inbox.
func (s *Server) registerFederation() {}
