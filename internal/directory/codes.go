package directory

import (
	"sort"
	"strings"

	"github.com/liaison-wb/liaison/internal/entity"
)

// Code is one value of a closed vocabulary with an English label and the
// other spellings users type for it.
type Code struct {
	Slug    string   `json:"slug"`
	Label   string   `json:"label"`
	Aliases []string `json:"aliases,omitempty"`
}

// Vocabularies. They are immutable tables; the slugs are stored and
// exchanged between nodes, the labels are for people.
var (
	CountryKinds = []Code{
		{Slug: "participant", Label: "Western Balkan participant"},
		{Slug: "entity", Label: "Entity or district within a participant"},
		{Slug: "eu", Label: "EU member state"},
		{Slug: "partner", Label: "Partner country"},
		{Slug: "organisation", Label: "International organisation"},
	}

	AgencyTypes = []Code{
		{Slug: "police", Label: "Police", Aliases: []string{"policija", "policia", "полиција", "mup", "ministry of interior police"}},
		{Slug: "border_police", Label: "Border police", Aliases: []string{"border", "granicna policija", "policia kufitare"}},
		{Slug: "customs", Label: "Customs", Aliases: []string{"carina", "dogana", "царина"}},
		{Slug: "prosecution", Label: "Prosecution", Aliases: []string{"prosecutor", "tuzilastvo", "prokuroria", "јавно обвинителство"}},
		{Slug: "court", Label: "Court", Aliases: []string{"sud", "gjykata"}},
		{Slug: "ministry", Label: "Ministry", Aliases: []string{"ministarstvo", "ministria", "министерство"}},
		{Slug: "fiu", Label: "Financial intelligence unit", Aliases: []string{"financial intelligence", "uprava za sprecavanje pranja novca"}},
		{Slug: "aro", Label: "Asset recovery office", Aliases: []string{"asset recovery", "aro"}},
		{Slug: "inspectorate", Label: "Inspectorate", Aliases: []string{"inspekcija", "inspektorati"}},
		{Slug: "regional_body", Label: "Regional body", Aliases: []string{"regional", "secretariat"}},
	}

	// ContactRoles are the roles a contact point fills; lookups accept the
	// slug, the label or any alias, in any script.
	ContactRoles = []Code{
		{Slug: "ncu", Label: "National contact unit", Aliases: []string{"national contact unit", "ncu", "spoc", "single point of contact", "international police cooperation", "interpol europol sirene"}},
		{Slug: "desk_24_7", Label: "24/7 desk (SIRENE-like)", Aliases: []string{"24/7", "24 7", "sirene", "duty desk", "operations centre", "dezurna sluzba"}},
		{Slug: "prosecutorial_focal_point", Label: "Prosecutorial focal point", Aliases: []string{"prosecutorial focal point", "pfp", "seepag", "prosecutor contact"}},
		{Slug: "mla_central_authority", Label: "Central authority for mutual legal assistance", Aliases: []string{"mla", "mutual legal assistance", "central authority", "ministry of justice international"}},
		{Slug: "aro", Label: "Asset recovery office", Aliases: []string{"asset recovery office", "asset recovery", "aro", "confiscation"}},
		{Slug: "fiu", Label: "Financial intelligence unit contact", Aliases: []string{"fiu", "financial intelligence", "money laundering"}},
		{Slug: "jit", Label: "JIT contact", Aliases: []string{"jit", "joint investigation team", "joint investigation"}},
		{Slug: "gbv", Label: "GBV coordination", Aliases: []string{"gbv", "gender based violence", "gender-based violence", "domestic violence"}},
		{Slug: "thb", Label: "Anti-trafficking coordinator", Aliases: []string{"thb", "trafficking", "trafficking in human beings", "anti-trafficking"}},
		{Slug: "cybercrime_24_7", Label: "Cybercrime 24/7 point", Aliases: []string{"cybercrime", "cyber", "budapest convention 24/7"}},
		{Slug: "firearms", Label: "Firearms focal point", Aliases: []string{"firearms", "weapons", "salw", "small arms"}},
		{Slug: "secretariat", Label: "Secretariat contact", Aliases: []string{"secretariat", "mechanism contact"}},
	}

	ChannelKinds = []Code{
		{Slug: "phone", Label: "Phone"},
		{Slug: "secure", Label: "Secure message"},
		{Slug: "email", Label: "E-mail"},
	}

	Themes = []Code{
		{Slug: "organised_crime", Label: "Organised crime"},
		{Slug: "thb", Label: "Trafficking in human beings"},
		{Slug: "migrant_smuggling", Label: "Migrant smuggling"},
		{Slug: "drugs", Label: "Drugs"},
		{Slug: "firearms", Label: "Firearms"},
		{Slug: "corruption", Label: "Corruption"},
		{Slug: "terrorism", Label: "Terrorism"},
		{Slug: "cybercrime", Label: "Cybercrime"},
		{Slug: "money_laundering", Label: "Money laundering"},
		{Slug: "gbv", Label: "Gender-based violence"},
		{Slug: "migration", Label: "Migration, asylum and refugees"},
		{Slug: "border_security", Label: "Border security"},
	}

	MechanismKinds = []Code{
		{Slug: "organisation", Label: "International organisation"},
		{Slug: "convention", Label: "Convention and its secretariat"},
		{Slug: "initiative", Label: "Regional initiative"},
		{Slug: "network", Label: "Network of practitioners"},
		{Slug: "centre", Label: "Joint centre"},
		{Slug: "facility", Label: "Programme or facility"},
	}

	AgreementTypes = []Code{
		{Slug: "police_cooperation", Label: "Police cooperation"},
		{Slug: "mla", Label: "Mutual legal assistance"},
		{Slug: "extradition", Label: "Extradition"},
		{Slug: "readmission", Label: "Readmission"},
		{Slug: "jit", Label: "Joint investigation teams"},
		{Slug: "asset_sharing", Label: "Asset recovery and sharing"},
		{Slug: "data_protection", Label: "Data protection"},
	}

	// Statuses say whether a framework lives or exists only on paper.
	Statuses = []Code{
		{Slug: "active", Label: "In regular use"},
		{Slug: "limited", Label: "Occasional use"},
		{Slug: "dormant", Label: "No recent use"},
		{Slug: "declaratory", Label: "Declaratory: exists on paper only"},
		{Slug: "unknown", Label: "Not assessed"},
	}

	ActivityKinds = []Code{
		{Slug: "request", Label: "Requests"},
		{Slug: "jit", Label: "Joint investigation teams"},
		{Slug: "joint_operation", Label: "Joint operations"},
		{Slug: "training", Label: "Trainings"},
		{Slug: "meeting", Label: "Meetings"},
	}
)

// Label returns the label of slug in codes, or the slug itself.
func Label(codes []Code, slug string) string {
	for _, c := range codes {
		if c.Slug == slug {
			return c.Label
		}
	}
	return slug
}

func validCode(codes []Code, slug string) bool {
	for _, c := range codes {
		if c.Slug == slug {
			return true
		}
	}
	return false
}

func slugs(codes []Code) string {
	s := make([]string, len(codes))
	for i, c := range codes {
		s[i] = c.Slug
	}
	return strings.Join(s, ", ")
}

// resolveCode finds the slug for what a user typed: a slug, a label or an
// alias, compared after folding so scripts and diacritics do not matter.
func resolveCode(codes []Code, in string) (string, bool) {
	f := fold(in)
	if f == "" {
		return "", false
	}
	fs := strings.ReplaceAll(f, " ", "_")
	for _, c := range codes {
		if c.Slug == fs || fold(c.Label) == f {
			return c.Slug, true
		}
	}
	for _, c := range codes {
		for _, a := range c.Aliases {
			if fold(a) == f {
				return c.Slug, true
			}
		}
	}
	return "", false
}

// fold is the comparison form shared with the matching engine: Cyrillic
// transliterated, diacritics removed, lower case, single spaces.
func fold(s string) string { return entity.Fold(strings.TrimSpace(s)) }

// searchText builds the folded search column from a record's words.
func searchText(parts ...string) string {
	seen := map[string]bool{}
	var out []string
	for _, p := range parts {
		for _, w := range strings.Fields(fold(p)) {
			if !seen[w] {
				seen[w] = true
				out = append(out, w)
			}
		}
	}
	return " " + strings.Join(out, " ") + " "
}

func sortedCopy(in []string) []string {
	out := append([]string(nil), in...)
	sort.Strings(out)
	return out
}
