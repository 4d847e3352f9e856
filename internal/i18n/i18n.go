// Package i18n holds the UI message catalogues. English is complete; other
// languages of the region fall back to English key by key until translated.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"regexp"
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
	templates   []errTemplate     // English messages with %s, %q, %d or %v
}

// errTemplate recognises a formatted English error message.
type errTemplate struct {
	re  *regexp.Regexp
	key string
}

// verb finds the formatting verbs a message template may hold.
var verb = regexp.MustCompile(`%[sqdv]`)

// templateRegexp turns "unknown scope %q at line %d" into a regular
// expression that captures each argument as it was printed.
func templateRegexp(format string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^")
	last := 0
	for _, m := range verb.FindAllStringIndex(format, -1) {
		b.WriteString(regexp.QuoteMeta(format[last:m[0]]))
		switch format[m[1]-1] {
		case 'q':
			b.WriteString(`("(?:[^"\\]|\\.)*")`)
		case 'd':
			b.WriteString(`(-?[0-9]+)`)
		default:
			b.WriteString(`(.*?)`)
		}
		last = m[1]
	}
	b.WriteString(regexp.QuoteMeta(format[last:]))
	b.WriteString("$")
	return regexp.MustCompile(b.String())
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
		keys := make([]string, 0, len(c.msgs[Default]))
		for k := range c.msgs[Default] {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			v := c.msgs[Default][k]
			if !strings.HasPrefix(k, "err.") {
				continue
			}
			c.reverse[v] = k
			if verb.MatchString(v) {
				c.templates = append(c.templates, errTemplate{re: templateRegexp(v), key: k})
			}
		}
		// The longest fixed text first, so "no such case %q" is preferred
		// to a bare "%s".
		sort.SliceStable(c.templates, func(i, j int) bool {
			return len(c.templates[i].re.String()) > len(c.templates[j].re.String())
		})
	})
	if k, ok := c.reverse[msg]; ok {
		return c.T(lang, k)
	}
	if lang == Default {
		return msg
	}
	for _, t := range c.templates {
		args := t.re.FindStringSubmatch(msg)
		if args == nil {
			continue
		}
		translated, ok := c.msgs[lang][t.key]
		if !ok {
			return msg
		}
		// The translation holds the same verbs in the same order; each is
		// replaced by the argument exactly as the English message printed it.
		i := 0
		return verb.ReplaceAllStringFunc(translated, func(string) string {
			i++
			if i < len(args) {
				return args[i]
			}
			return ""
		})
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
