package i18n

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The Serbian Cyrillic catalogues are generated from the Serbian Latin ones
// (go generate ./internal/i18n) so both scripts always say the same thing.
//go:generate go run ./gencyrl

// CyrillicExceptions are sr-Cyrl messages that are deliberately not a plain
// transliteration of sr-Latn, e.g. because they quote Latin spellings.
var CyrillicExceptions = map[string]string{
	"fed.peerid":      "ID чвора (нпр. rs, xk, selec)",
	"dir.search.hint": "Ћирилица и латиница се међусобно проналазе, а дијакритички знаци нису обавезни: Управа, Uprava и uprava су иста претрага.",
	"ex.h.help":       "H0 само за потребе органа за спровођење закона · H1 не сме се користити у судском поступку без дозволе · H2 без даљег ширења без дозволе · H3 друга ограничења. Поузданост A–C, X непознато; тачност 1 (поуздано тачно) – 4 (не може се проценити).",
	// Domain error messages (domainerrors) that quote settings, values and
	// examples users type as they are: they stay in Latin script.
	"err.config.log-level-debug-info":             "log-level мора бити debug, info, warn или error, а не %q",
	"err.analysis.chart-format":                   "формат мора бити graphml, gexf или ftm",
	"err.config.log-format-text-json":             "log-format мора бити text или json, а не %q",
	"err.config.node-id-short-identifier":         "node-id %q мора бити кратак идентификатор као rs или selec",
	"err.config.exchange-retention-action-delete": "exchange-retention-action мора бити delete или anonymise, а не %q",
	"err.config.metrics-token-least-16":           "metrics-token мора имати најмање 16 знакова",
	"err.config.max-body-bytes-least":             "max-body-bytes мора бити најмање 1024",
	"err.config.session-ttl-least-1m":             "session-ttl мора бити најмање 1m",
	"err.config.db-empty-sqlite-data":             "db мора бити празно (SQLite у директоријуму података), sqlite:PATH или postgres:// URL",
	"err.config.trusted-proxies-neither-address":  "trusted-proxies: %q није ни адреса ни CIDR опсег",
	"err.auth.unknown-token-scope-read":           "непознат опсег токена %q; користите read, all, назив радње или префикс као што је exchange.*",
	"err.federation.peer-id-short-lower":          "ID партнерског чвора %q мора бити кратак идентификатор малим словима као rs, xk или selec",
	"err.jit.member-node-node-id":                 "чвор члана %q није ID чвора као rs, ba или selec",
	"err.directory.language-code-such-sq":         "језик %q мора бити код као што је sq, sr, sr-Cyrl, mk, bs, hr или en",
	"err.directory.code-2-40-characters":          "код мора имати 2-40 знакова: мала слова, цифре и цртице (нпр. rs-mup)",
	"err.directory.time-zone-known-name":          "временска зона %q није позната; користите назив као што је Europe/Belgrade",
	"err.directory.give-office-hours-mon":         "наведите радно време (нпр. Mon-Fri 08:00-16:00) или означите да контакт тачка ради 24/7",
	"err.directory.office-hours-read-write":       "радно време се не може прочитати (%v); напишите га нпр. као Mon-Fri 08:00-16:00 или Mon-Thu 07:30-15:30; Fri 07:30-14:00",
	"err.exchange.smtp-address-host-port":         "SMTP адреса мора бити у облику host:port",
	"err.web.metrics-need-authorization-bearer":   "метрике захтевају Authorization: Bearer <metrics token>",
	"err.web.authorization-bearer-token":          "користите Authorization: Bearer <token>",
	"err.activities.documents-http-s-link":        "документи: %q мора бити http(s) линк",
	"err.alerts.file-header-line-ref":             "датотека нема ред заглавља (нпр. ref,given_name,family_name,date_of_birth,document,plate)",
	"err.alerts.format-csv-json":                  "формат је csv или json",
	"err.alerts.interpol-notice-written-colour":   "Интерполова потерница пише се бојом и бројем, нпр. red 2025/12345",
	"err.alerts.origin-local-foreign-node":        "порекло је local, foreign или ID чвора",
	"err.alerts.sex-m-f":                          "пол је m или f",
	"err.analysis.as-crime-area":                  "изаберите област криминала: drugs, thb, migrant_smuggling, firearms, cybercrime или money_laundering",
	"err.analysis.as-paragraph-section":           "сваки пасус припада одељку шаблона: indicators, trends, modus_operandi, groups или routes",
	"err.analysis.as-regional-node":               "наведите регионални чвор којем иде допринос (други чвор, нпр. selec)",
	"as.err.regional":                             "Унесите регионални чвор којем иде допринос, нпр. selec.",
}

var (
	latinDigraphs = []struct{ lat, cyr string }{
		{"DŽ", "Џ"}, {"Dž", "Џ"}, {"dž", "џ"},
		{"LJ", "Љ"}, {"Lj", "Љ"}, {"lj", "љ"},
		{"NJ", "Њ"}, {"Nj", "Њ"}, {"nj", "њ"},
	}
	latinLetters = map[rune]string{
		'A': "А", 'B': "Б", 'C': "Ц", 'Č': "Ч", 'Ć': "Ћ", 'D': "Д", 'Đ': "Ђ", 'E': "Е", 'F': "Ф", 'G': "Г",
		'H': "Х", 'I': "И", 'J': "Ј", 'K': "К", 'L': "Л", 'M': "М", 'N': "Н", 'O': "О", 'P': "П", 'R': "Р",
		'S': "С", 'Š': "Ш", 'T': "Т", 'U': "У", 'V': "В", 'Z': "З", 'Ž': "Ж",
		'a': "а", 'b': "б", 'c': "ц", 'č': "ч", 'ć': "ћ", 'd': "д", 'đ': "ђ", 'e': "е", 'f': "ф", 'g': "г",
		'h': "х", 'i': "и", 'j': "ј", 'k': "к", 'l': "л", 'm': "м", 'n': "н", 'o': "о", 'p': "п", 'r': "р",
		's': "с", 'š': "ш", 't': "т", 'u': "у", 'v': "в", 'z': "з", 'ž': "ж",
	}
	// Word starts where n+j or d+ž meet across a prefix boundary and are
	// two letters, not one (nadživeti, injekcija, konjunkcija).
	digraphBreaks = []string{"nadž", "odžali", "podž", "injek", "konjug", "konjunk", "vanjez", "tanjug"}
	// Spans never transliterated: format verbs, HTML tags and entities,
	// URLs (also a bare https://), command lines (liaison cases import),
	// command-line flags (--node-id), snake_case field names (end_date) and
	// paths.
	protectedSpan = regexp.MustCompile(`%[-+# 0]*(\[\d+\])?\d*(\.\d+)?[a-zA-Z%]|<[^>]*>|&[a-zA-Z#0-9]+;|https?://\S*|liaison(?: [a-z-]+)+|--[a-z][a-z-]*|\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b|/[a-z0-9/._{}-]+`)
	// Latin-script words kept as they are: product names and technical terms.
	// Capitals that are Serbian words, not acronyms: the date format.
	cyrWords  = map[string]bool{"GGGG": true, "MM": true, "DD": true}
	keepWords = map[string]bool{"Liaison": true, "liaison": true, "OpenAPI": true, "FollowTheMoney": true, "base64": true, "htmx": true,
		"Natural": true, "Earth": true, "Shift": true}
)

// LatinToCyrillic transliterates Serbian Latin text to Serbian Cyrillic.
// Acronyms (two or more capitals, or letters mixed with digits such as H0,
// SHA-256), product names, format verbs and markup stay as they are.
func LatinToCyrillic(s string) string {
	var b strings.Builder
	last := 0
	for _, loc := range protectedSpan.FindAllStringIndex(s, -1) {
		if s[loc[0]] == '/' && loc[0] > 0 {
			// "pogodak/bez pogotka" is a word pair, not a path: a path
			// starts after a space or punctuation, not after a letter.
			if r, _ := utf8.DecodeLastRuneInString(s[:loc[0]]); isWordRune(r) {
				continue
			}
		}
		b.WriteString(translitText(s[last:loc[0]]))
		b.WriteString(s[loc[0]:loc[1]])
		last = loc[1]
	}
	b.WriteString(translitText(s[last:]))
	return b.String()
}

func translitText(s string) string {
	var b strings.Builder
	for len(s) > 0 {
		r, _ := utf8.DecodeRuneInString(s)
		if !isWordRune(r) {
			i := strings.IndexFunc(s, isWordRune)
			if i < 0 {
				i = len(s)
			}
			b.WriteString(s[:i])
			s = s[i:]
			continue
		}
		i := strings.IndexFunc(s, func(r rune) bool { return !isWordRune(r) })
		if i < 0 {
			i = len(s)
		}
		b.WriteString(translitWord(s[:i]))
		s = s[i:]
	}
	return b.String()
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

func translitWord(w string) string {
	if keepWords[w] || (isAcronym(w) && !cyrWords[w]) {
		return w
	}
	lower := strings.ToLower(w)
	brk := -1 // byte index where a digraph must be split
	for _, p := range digraphBreaks {
		if strings.HasPrefix(lower, p) {
			// the split falls between the n/d and the j/ž of the prefix
			if j := strings.LastIndexAny(p, "jž"); j > 0 {
				brk = j
			}
			break
		}
	}
	var b strings.Builder
	for i := 0; i < len(w); {
		if i != brk-1 {
			matched := false
			for _, d := range latinDigraphs {
				if strings.HasPrefix(w[i:], d.lat) {
					b.WriteString(d.cyr)
					i += len(d.lat)
					matched = true
					break
				}
			}
			if matched {
				continue
			}
		}
		r, n := utf8.DecodeRuneInString(w[i:])
		if c, ok := latinLetters[r]; ok {
			b.WriteString(c)
		} else {
			b.WriteRune(r)
		}
		i += n
	}
	return b.String()
}

// isAcronym: two to four capitals and no lower-case letters (NCU, JIT,
// XLSX; longer or non-ASCII capitalised words such as HITNO are words), a letter mixed
// with digits (H0, P1, SHA256), or capitals inside the word (OpenAPI).
func isAcronym(w string) bool {
	upper, lower, digit, innerUpper := 0, 0, 0, false
	for i, r := range w {
		switch {
		case unicode.IsUpper(r):
			upper++
			if i > 0 {
				innerUpper = true
			}
		case unicode.IsLower(r):
			lower++
		case unicode.IsDigit(r):
			digit++
		}
	}
	if digit > 0 {
		return upper+lower > 0
	}
	if lower == 0 {
		// Acronyms are ASCII; ŠUMA or DŽEP are words.
		return upper >= 2 && upper <= 4 && len(w) == upper
	}
	return innerUpper && !isDigraphCap(w)
}

// isDigraphCap: "LJubljana"-style capitals are digraphs, not acronyms.
func isDigraphCap(w string) bool {
	for _, p := range []string{"LJ", "NJ", "DŽ"} {
		if strings.HasPrefix(w, p) {
			return true
		}
	}
	return false
}

// KeptInCyrillic reports whether a word stays in Latin script in Serbian
// Cyrillic text: acronyms, codes such as H0 or SHA256, and product names.
func KeptInCyrillic(w string) bool { return keepWords[w] || (isAcronym(w) && !cyrWords[w]) }
