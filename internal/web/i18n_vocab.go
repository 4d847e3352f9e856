package web

import (
	"net/http"

	"github.com/liaison-wb/liaison/internal/directory"
	"github.com/liaison-wb/liaison/internal/i18n"
)

// vocab returns a code list with its labels in the request's language:
// catalogue key voc.<list>.<slug> (en.vocab.json), or the list's own
// English label for a code the catalogue does not have yet.
func (s *Server) vocab(r *http.Request, list string, codes []directory.Code) []directory.Code {
	lang := s.lang(r)
	out := make([]directory.Code, len(codes))
	for i, c := range codes {
		out[i] = c
		if _, ok := s.d.Catalog.Lookup(i18n.Default, "voc."+list+"."+c.Slug); ok {
			out[i].Label = s.d.Catalog.T(lang, "voc."+list+"."+c.Slug)
		}
	}
	return out
}

// labels returns code → label in the request's language from the
// catalogue keys prefix+code, keeping the given English label for codes the
// catalogue does not have.
func (s *Server) labels(r *http.Request, prefix string, english map[string]string) map[string]string {
	lang := s.lang(r)
	out := make(map[string]string, len(english))
	for code, l := range english {
		out[code] = l
		if _, ok := s.d.Catalog.Lookup(i18n.Default, prefix+code); ok {
			out[code] = s.d.Catalog.T(lang, prefix+code)
		}
	}
	return out
}

// errText shows an error message in the request's language when the
// English message is in the catalogue (en.errors.json, keys err.*), and
// as it is otherwise. Domain packages keep returning English messages.
func (s *Server) errText(lang, msg string) string {
	return s.d.Catalog.TranslateError(lang, msg)
}
