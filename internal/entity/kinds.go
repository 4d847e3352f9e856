package entity

import "strings"

// Kind names an entity type. The values are stable strings used in CSV,
// JSON and the database.
type Kind string

// Entity kinds.
const (
	KindPerson       Kind = "person"
	KindOrganisation Kind = "organisation"
	KindVehicle      Kind = "vehicle"
	KindPhone        Kind = "phone"
	KindAccount      Kind = "account"
	KindDocument     Kind = "document"
	KindWeapon       Kind = "weapon"
	KindAddress      Kind = "address"
)

// Kinds lists all kinds in a stable order.
var Kinds = [...]Kind{KindPerson, KindOrganisation, KindVehicle, KindPhone,
	KindAccount, KindDocument, KindWeapon, KindAddress}

// ParseKind returns the kind for a name (case-insensitive, "organization"
// accepted) and false if unknown.
func ParseKind(s string) (Kind, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "organization" || s == "org" {
		s = string(KindOrganisation)
	}
	for _, k := range Kinds {
		if string(k) == s {
			return k, true
		}
	}
	return "", false
}

// Address is a postal address. Fields hold the source text; use the
// comparison helpers in package match for similarity.
type Address struct {
	StreetNumber string
	Street       string // address line 1 (street name)
	Line2        string // building, locality, village
	City         string // city, suburb or municipality
	Postcode     string
	Region       string // state, canton, entity or district
	Country      string // ISO 3166-1 alpha-2 when recognised
}

// IsZero reports whether all address fields are empty.
func (a Address) IsZero() bool { return a == Address{} }

// Person is a natural person as recorded by one agency.
type Person struct {
	ID          string // source record id
	Name        Name
	DOB         Date
	DOBRaw      string // the date as written, kept for typo-tolerant comparison
	Sex         Sex
	PersonalID  PersonalID
	Address     Address
	Phone       string // E.164 when it could be normalised, else digits
	Nationality string // ISO 3166-1 alpha-2 when recognised
	Extra       map[string]string
}

// Organisation is a company, association or public body.
type Organisation struct {
	ID        string
	Name      string
	RegNo     string // registration or tax number (NIPT, PIB, JIB, EDB, ...)
	Country   string
	Address   Address
	Extra     map[string]string
	Aliases   []string
	Founded   Date
	Dissolved Date
}

// Vehicle is a motor vehicle.
type Vehicle struct {
	ID      string
	Plate   string // NormalizePlate form
	VIN     string // NormalizeVIN form
	Make    string
	Model   string
	Colour  string
	Country string
}

// Phone is a phone number or SIM.
type Phone struct {
	ID     string
	E164   string
	IMEI   string
	IMSI   string
	Holder string
}

// Account is a bank or payment account.
type Account struct {
	ID     string
	IBAN   string // NormalizeIBAN form
	Number string // non-IBAN account number
	Bank   string // BIC or bank name
	Holder string
}

// Document is an identity or travel document.
type Document struct {
	ID       string
	Type     string // passport, id_card, driving_licence, residence_permit
	Number   string // upper-case alphanumerics
	Country  string // issuing country
	Issued   Date
	Expires  Date
	HolderID string
}

// Weapon is a firearm or other registered weapon.
type Weapon struct {
	ID      string
	Type    string
	Make    string
	Model   string
	Serial  string
	Calibre string
}

// Record wraps exactly one entity of any kind so heterogeneous lists can
// be stored and searched; the field matching Kind is set.
type Record struct {
	Kind         Kind
	Person       *Person       `json:",omitempty"`
	Organisation *Organisation `json:",omitempty"`
	Vehicle      *Vehicle      `json:",omitempty"`
	Phone        *Phone        `json:",omitempty"`
	Account      *Account      `json:",omitempty"`
	Document     *Document     `json:",omitempty"`
	Weapon       *Weapon       `json:",omitempty"`
	Address      *Address      `json:",omitempty"`
}

// countryNames maps folded country names in English and the regional
// languages (and ISO alpha-3 codes) to ISO alpha-2 codes.
var countryNames = map[string]string{
	"al": "AL", "alb": "AL", "albania": "AL", "shqiperi": "AL", "shqiperia": "AL", "albanija": "AL", "albanian": "AL", "shqiptar": "AL", "shqiptare": "AL",
	"republika e shqiperise": "AL", "republic of albania": "AL", "republika albanija": "AL", "shqiperise": "AL",
	"ba": "BA", "bih": "BA", "bosnia and herzegovina": "BA", "bosnia": "BA", "bosna i hercegovina": "BA", "bosna": "BA", "bosnian": "BA",
	"bosnja dhe hercegovina": "BA", "bosnja e hercegovina": "BA", "bosnje e hercegovine": "BA", "bosnja": "BA",
	"me": "ME", "mne": "ME", "montenegro": "ME", "crna gora": "ME", "mali i zi": "ME", "montenegrin": "ME", "crnogorsko": "ME",
	"republika crna gora": "ME", "mal i zi": "ME", "crnogorska": "ME",
	"mk": "MK", "mkd": "MK", "north macedonia": "MK", "macedonia": "MK", "makedonija": "MK", "severna makedonija": "MK", "maqedonia": "MK", "maqedonia e veriut": "MK", "macedonian": "MK",
	"republic of north macedonia": "MK", "republika severna makedonija": "MK", "republika e maqedonise se veriut": "MK", "maqedonise se veriut": "MK",
	"rs": "RS", "srb": "RS", "serbia": "RS", "srbija": "RS", "serbian": "RS", "serbi": "RS", "serbia e": "RS", "srpsko": "RS",
	"republika srbija": "RS", "republic of serbia": "RS", "republika e serbise": "RS", "serbise": "RS",
	"xk": "XK", "xkx": "XK", "kosovo": "XK", "kosova": "XK", "kosovar": "XK", "republika kosovo": "XK",
	"republika e kosoves": "XK", "republic of kosovo": "XK", "kosoves": "XK", "republika kosova": "XK",
	"hr": "HR", "hrv": "HR", "croatia": "HR", "hrvatska": "HR",
	"si": "SI", "svn": "SI", "slovenia": "SI", "slovenija": "SI",
	"de": "DE", "deu": "DE", "germany": "DE", "deutschland": "DE", "nemacka": "DE", "gjermani": "DE",
	"at": "AT", "aut": "AT", "austria": "AT", "austrija": "AT",
	"it": "IT", "ita": "IT", "italy": "IT", "italija": "IT", "itali": "IT",
	"gr": "GR", "grc": "GR", "greece": "GR", "grcka": "GR", "greqi": "GR",
	"ch": "CH", "che": "CH", "switzerland": "CH", "svajcarska": "CH", "zvicer": "CH",
	"tr": "TR", "tur": "TR", "turkey": "TR", "turkiye": "TR", "turska": "TR",
}

// ParseCountry returns the ISO 3166-1 alpha-2 code for a country name or
// code in English, Albanian or the South Slavic languages (Latin or
// Cyrillic), or the folded input when unknown.
func ParseCountry(s string) string {
	f := Fold(strings.TrimSpace(s))
	if f == "" {
		return ""
	}
	if c, ok := countryNames[f]; ok {
		return c
	}
	return f
}
