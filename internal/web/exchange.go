package web

// registerExchange adds the exchange module's UI pages and API operations.
func (s *Server) registerExchange() {}
