// Package i18n holds the UI message catalogues. English is complete; other
// languages of the region fall back to English key by key until translated.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"sync"
)

//go:embed locales/*.json
var files embed.FS

// Language is one UI language.
type Language struct {
	Code string // BCP 47, e.g. sr-Latn
	Name string // endonym, e.g. Srpski
}

// Languages in the order shown in the switcher.
var Languages = []Language{
	{"en", "English"}, {"sq", "Shqip"}, {"bs", "Bosanski"}, {"mk", "Македонски"},
	{"sr-Latn", "Srpski"}, {"sr-Cyrl", "Српски"},
}

// Default is the fallback language.
const Default = "en"

// Catalog maps language → key → message.
type Catalog struct {
	msgs map[string]map[string]string

	reverseOnce sync.Once
	reverse     map[string]string // English error message → err.* key
}

// Load reads the embedded catalogues and checks that English covers every
// key used by any other language.
func Load() (*Catalog, error) {
	c := &Catalog{msgs: map[string]map[string]string{}}
	// Each language has a main file (en.json) and optional module files
	// (en.directory.json) so modules add their messages without touching
	// each other's files.
	names, err := fs.Glob(files, "locales/*.json")
	if err != nil {
		return nil, err
	}
	for _, l := range Languages {
		c.msgs[l.Code] = map[string]string{}
	}
	for _, name := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(name, "locales/"), ".json")
		code, _, _ := strings.Cut(base, ".")
		m, ok := c.msgs[code]
		if !ok {
			return nil, fmt.Errorf("catalogue %s: unknown language %q", name, code)
		}
		b, err := files.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("catalogue %s: %w", name, err)
		}
		part := map[string]string{}
		if err := json.Unmarshal(b, &part); err != nil {
			return nil, fmt.Errorf("catalogue %s: %w", name, err)
		}
		for k, v := range part {
			if _, dup := m[k]; dup {
				return nil, fmt.Errorf("catalogue %s: key %q defined twice", name, k)
			}
			m[k] = v
		}
	}
	var missing []string
	for code, m := range c.msgs {
		for k := range m {
			if _, ok := c.msgs[Default][k]; !ok {
				missing = append(missing, code+":"+k)
			}
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, fmt.Errorf("keys missing from the English catalogue: %s", strings.Join(missing, ", "))
	}
	return c, nil
}

// T translates key into lang, formatting args; unknown keys show the key so
// gaps are visible rather than blank.
func (c *Catalog) T(lang, key string, args ...any) string {
	msg, ok := c.msgs[lang][key]
	if !ok {
		msg, ok = c.msgs[Default][key]
	}
	if !ok {
		return key
	}
	if len(args) > 0 {
		return fmt.Sprintf(msg, args...)
	}
	return msg
}

// Lookup returns lang's own message for key, without falling back to English.
func (c *Catalog) Lookup(lang, key string) (string, bool) {
	msg, ok := c.msgs[lang][key]
	return msg, ok
}

// TranslateError returns an error message in lang when msg is the English
// message of an err.* key (errors.json: domain packages return English
// messages), and msg unchanged otherwise.
func (c *Catalog) TranslateError(lang, msg string) string {
	c.reverseOnce.Do(func() {
		c.reverse = map[string]string{}
		for k, v := range c.msgs[Default] {
			if strings.HasPrefix(k, "err.") {
				c.reverse[v] = k
			}
		}
	})
	if k, ok := c.reverse[msg]; ok {
		return c.T(lang, k)
	}
	return msg
}

// Has reports whether lang has a catalogue.
func (c *Catalog) Has(lang string) bool { _, ok := c.msgs[lang]; return ok }

// Keys lists the English keys.
func (c *Catalog) Keys() []string {
	var out []string
	for k := range c.msgs[Default] {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Match picks the best supported language from an Accept-Language header.
func (c *Catalog) Match(accept string) string {
	for _, part := range strings.Split(accept, ",") {
		tag := strings.TrimSpace(strings.SplitN(part, ";", 2)[0])
		if tag == "" {
			continue
		}
		for _, l := range Languages {
			if strings.EqualFold(tag, l.Code) {
				return l.Code
			}
		}
		base := strings.ToLower(strings.SplitN(tag, "-", 2)[0])
		switch base {
		case "sr", "sh":
			if strings.Contains(strings.ToLower(tag), "cyrl") {
				return "sr-Cyrl"
			}
			return "sr-Latn"
		case "sq", "mk", "bs", "en":
			return base
		case "hr", "cnr":
			return "bs"
		}
	}
	return Default
}
