package entity

import (
	"errors"
	"strings"
	"testing"
)

func TestParseDate(t *testing.T) {
	tests := []struct {
		in      string
		want    Date
		wantErr bool
	}{
		{"19850317", Date{1985, 3, 17}, false},
		{"1985-03-17", Date{1985, 3, 17}, false},
		{"1985/03/17", Date{1985, 3, 17}, false},
		{"17.03.1985", Date{1985, 3, 17}, false},
		{"17.03.1985.", Date{1985, 3, 17}, false},
		{"7.3.1985.", Date{1985, 3, 7}, false},
		{"7. 3. 1985.", Date{1985, 3, 7}, false},
		{"17/03/1985", Date{1985, 3, 17}, false},
		{" 1985 ", Date{Year: 1985}, false},
		{"1985-03", Date{1985, 3, 0}, false},
		{"198503", Date{1985, 3, 0}, false},
		{"03.1985", Date{1985, 3, 0}, false},
		{"19850300", Date{1985, 3, 0}, false},
		{"19850000", Date{Year: 1985}, false},
		{"29.02.2000", Date{2000, 2, 29}, false},
		{"29.02.1900", Date{1900, 2, 29}, true},
		{"19851317", Date{1985, 13, 17}, true},
		{"31.04.1985", Date{1985, 4, 31}, true},
		{"19850017", Date{1985, 0, 17}, true},
		{"", Date{}, true},
		{"abc", Date{}, true},
		{"1.2.3", Date{}, true},
		{"20.5.986.", Date{986, 5, 20}, true},
		{"1.2.345", Date{345, 2, 1}, true},
		{"123.2.345", Date{}, true},
		{"12345", Date{}, true},
		{"17..1985", Date{}, true},
	}
	for _, tt := range tests {
		got, err := ParseDate(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseDate(%q) err = %v, wantErr %v", tt.in, err, tt.wantErr)
		}
		if err != nil && !errors.Is(err, ErrDate) {
			t.Errorf("ParseDate(%q) err %v is not ErrDate", tt.in, err)
		}
		if got != tt.want {
			t.Errorf("ParseDate(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
	if s := (Date{1985, 3, 0}).String(); s != "1985-03" {
		t.Errorf("String = %q", s)
	}
	if s := (Date{1985, 3, 7}).Digits(); s != "19850307" {
		t.Errorf("Digits = %q", s)
	}
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"19850317", "1985-03-17", "17.03.1985.", "7.3.1985", "1985", "1985-03", "99999999", "-.-", "0.0.0000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDate(s)
		if err == nil {
			if !d.Valid() {
				t.Fatalf("ParseDate(%q) = %+v accepted but invalid", s, d)
			}
			// Round trip through the canonical forms.
			back, err2 := ParseDate(d.String())
			if err2 != nil || back != d {
				t.Fatalf("round trip %q -> %v -> %v, %v", s, d, back, err2)
			}
		}
	})
}

func TestParseJMBG(t *testing.T) {
	tests := []struct {
		in      string
		dob     Date
		sex     Sex
		region  int
		wantErr error
	}{
		{"0101990710016", Date{1990, 1, 1}, SexMale, 71, nil},
		{"1503985715004", Date{1985, 3, 15}, SexFemale, 71, nil},
		{"2902000450120", Date{2000, 2, 29}, SexMale, 45, nil},
		{"3112985480013", Date{1985, 12, 31}, SexMale, 48, nil},
		{"070 5960 450 004", Date{1960, 5, 7}, SexMale, 45, nil},
		{"0101990710017", Date{1990, 1, 1}, SexMale, 71, ErrChecksum},
		{"3102990710016", Date{1990, 2, 31}, SexMale, 71, ErrFormat},
		{"010199071001", Date{}, SexUnknown, 0, ErrFormat},
		{"01019907100a6", Date{}, SexUnknown, 0, ErrFormat},
	}
	for _, tt := range tests {
		j, err := ParseJMBG(tt.in)
		if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
			t.Errorf("ParseJMBG(%q) err = %v, want %v", tt.in, err, tt.wantErr)
		}
		if j.DOB != tt.dob || j.Sex != tt.sex || j.Region != tt.region {
			t.Errorf("ParseJMBG(%q) = %+v", tt.in, j)
		}
	}
	j, _ := ParseJMBG("1503985715004")
	if err := j.CheckDOB(Date{1985, 3, 15}); err != nil {
		t.Errorf("CheckDOB same date: %v", err)
	}
	if err := j.CheckDOB(Date{Year: 1985}); err != nil {
		t.Errorf("CheckDOB partial: %v", err)
	}
	if err := j.CheckDOB(Date{1985, 15, 3}); !errors.Is(err, ErrDOB) {
		t.Errorf("CheckDOB swapped: %v", err)
	}
}

func TestParseAlbanianID(t *testing.T) {
	tests := []struct {
		in      string
		dob     Date
		sex     Sex
		wantErr bool
	}{
		{"J00101001A", Date{1990, 1, 1}, SexMale, false},
		{"i55215123w", Date{1985, 2, 15}, SexFemale, false},
		{"K 05 31 2001 B", Date{2000, 3, 12}, SexFemale, false},
		{"J06201001A", Date{1990, 12, 1}, SexFemale, false},
		{"J01301001A", Date{1990, 13, 1}, SexUnknown, true},
		{"J00101001Z", Date{}, SexUnknown, true},
		{"100101001A", Date{}, SexUnknown, true},
		{"J0010100A", Date{}, SexUnknown, true},
	}
	for _, tt := range tests {
		a, err := ParseAlbanianID(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseAlbanianID(%q) err = %v", tt.in, err)
		}
		if !tt.wantErr && (a.DOB != tt.dob || a.Sex != tt.sex) {
			t.Errorf("ParseAlbanianID(%q) = %+v", tt.in, a)
		}
	}
}

func TestParseKosovoID(t *testing.T) {
	if n, err := ParseKosovoID(" 1234567890 "); err != nil || n != "1234567890" {
		t.Errorf("got %q, %v", n, err)
	}
	for _, bad := range []string{"123456789", "12345678901", "12345x7890", ""} {
		if _, err := ParseKosovoID(bad); !errors.Is(err, ErrFormat) {
			t.Errorf("ParseKosovoID(%q) err = %v", bad, err)
		}
	}
}

func TestParsePersonalID(t *testing.T) {
	tests := []struct {
		in    string
		kind  IDKind
		num   string
		valid bool
	}{
		{"0101990710016", IDJMBG, "0101990710016", true},
		{"0101990710017", IDJMBG, "0101990710017", false},
		{"J00101001A", IDAlbanian, "J00101001A", true},
		{"1234567890", IDKosovo, "1234567890", true},
		{" 6988048", IDOther, "6988048", false},
		{"ab-12 č", IDOther, "AB12C", false},
		{"", IDUnknown, "", false},
		{"---", IDUnknown, "", false},
	}
	for _, tt := range tests {
		p := ParsePersonalID(tt.in)
		if p.Kind != tt.kind || p.Number != tt.num || p.Valid != tt.valid {
			t.Errorf("ParsePersonalID(%q) = %+v", tt.in, p)
		}
	}
}

func TestNormalizeIBAN(t *testing.T) {
	good := []string{
		"AL35202111090000000001234567", "BA39 3385 8048 0021 1234", "ME25505000012345678951",
		"MK07200002785123453", "rs35105008123123123173", "XK05-1212-0123-4567-8906",
		"DE89 3704 0044 0532 0130 00", "GB82WEST12345698765432",
	}
	for _, g := range good {
		n, err := NormalizeIBAN(g)
		if err != nil || strings.ContainsAny(n, " -") || n != strings.ToUpper(n) {
			t.Errorf("NormalizeIBAN(%q) = %q, %v", g, n, err)
		}
	}
	bad := []struct {
		in  string
		err error
	}{
		{"AL35202111090000000001234568", ErrChecksum},
		{"BA3933858048002112345", ErrFormat},
		{"RS3510500812312312317", ErrFormat},
		{"XX", ErrFormat},
		{"DE89 3704 0044 0532 0130 0€", ErrFormat},
	}
	for _, b := range bad {
		if _, err := NormalizeIBAN(b.in); !errors.Is(err, b.err) {
			t.Errorf("NormalizeIBAN(%q) err = %v, want %v", b.in, err, b.err)
		}
	}
}

func TestNormalizePhone(t *testing.T) {
	tests := []struct {
		in, region, want string
		wantErr          bool
	}{
		{"063 123 4567", "RS", "+381631234567", false},
		{"+381 (0)63 123-4567", "", "+381631234567", false},
		{"00381631234567", "AL", "+381631234567", false},
		{"069 123 456", "AL", "+35569123456", false},
		{"044/123-456", "XK", "+38344123456", false},
		{"070 123 456", "MK", "+38970123456", false},
		{"067 123 456", "ME", "+38267123456", false},
		{"061 123 456", "BA", "+38761123456", false},
		{"030 1234567", "DE", "+49301234567", false},
		{"06 1234 5678", "IT", "+390612345678", false},
		{"+1 202 555 0123", "RS", "+12025550123", false},
		{"063 123 4567", "", "", true},
		{"12", "RS", "", true},
		{"063-abc", "RS", "", true},
	}
	for _, tt := range tests {
		got, err := NormalizePhone(tt.in, tt.region)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("NormalizePhone(%q,%q) = %q, %v; want %q", tt.in, tt.region, got, err, tt.want)
		}
	}
	if CallingCode("xk") != "383" {
		t.Error("CallingCode(xk)")
	}
}

func TestNormalizePlate(t *testing.T) {
	tests := []struct{ in, want string }{
		{"BG 123-AB", "BG123AB"},
		{"БГ 123-АВ", "BG123AB"}, // Б is transliterated, А В are look-alikes
		{"НС 045-КМ", "HC045KM"},
		{"ŠA 123-ČĆ", "SA123CC"},
		{"TR 345 ЕР", "TR345EP"},
		{"01-123-AA", "01123AA"},
		{"ОХ 1234 У", "OX1234Y"},
	}
	for _, tt := range tests {
		if got, err := NormalizePlate(tt.in); err != nil || got != tt.want {
			t.Errorf("NormalizePlate(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	if _, err := NormalizePlate("-"); err == nil {
		t.Error("empty plate accepted")
	}
}

func TestNormalizeVIN(t *testing.T) {
	if v, err := NormalizeVIN("1m8gdm9axkp042788"); err != nil || v != "1M8GDM9AXKP042788" {
		t.Errorf("got %q, %v", v, err)
	}
	if v, err := NormalizeVIN("5GZCZ43D13S812715"); err != nil || v != "5GZCZ43D13S812715" {
		t.Errorf("got %q, %v", v, err)
	}
	if v, err := NormalizeVIN("WVWZZZ1JZXW000001"); !errors.Is(err, ErrChecksum) || v != "WVWZZZ1JZXW000001" {
		t.Errorf("European VIN without check digit: %q, %v", v, err)
	}
	for _, bad := range []string{"1M8GDM9AXKP04278", "1M8GDM9AXKP0427O", "1M8GDM9AIKP042788", "1M8GDM9AXKP04278Q", "1M8GDM9AXKP04278Š"} {
		if _, err := NormalizeVIN(bad); !errors.Is(err, ErrFormat) {
			t.Errorf("NormalizeVIN(%q) err = %v", bad, err)
		}
	}
}

func TestParseSexAndCountry(t *testing.T) {
	sexes := map[string]Sex{"M": SexMale, "ž": SexFemale, "Ж": SexFemale, "femër": SexFemale,
		"mashkull": SexMale, "Мушко": SexMale, "": SexUnknown, "x": SexUnknown}
	for in, want := range sexes {
		if got := ParseSex(in); got != want {
			t.Errorf("ParseSex(%q) = %v, want %v", in, got, want)
		}
	}
	countries := map[string]string{"Србија": "RS", "Shqipëri": "AL", "Crna Gora": "ME", "Kosova": "XK",
		"BiH": "BA", "Северна Македонија": "MK", "mk": "MK", "Narnia": "narnia", "": "",
		"Republika e Kosovës": "XK", "Maqedonia e Veriut": "MK", "Republika Srbija": "RS", "Bosnja dhe Hercegovina": "BA",
		"Republic of Albania": "AL", "Република Србија": "RS"}
	for in, want := range countries {
		if got := ParseCountry(in); got != want {
			t.Errorf("ParseCountry(%q) = %q, want %q", in, got, want)
		}
	}
	if k, ok := ParseKind(" Organization "); !ok || k != KindOrganisation {
		t.Error("ParseKind organization")
	}
	if _, ok := ParseKind("spaceship"); ok {
		t.Error("ParseKind accepted unknown")
	}
}

func FuzzIdentifiers(f *testing.F) {
	for _, s := range []string{"0101990710016", "J00101001A", "1234567890", "AL35202111090000000001234567",
		"+381 (0)63 123-4567", "БГ 123-АВ", "1M8GDM9AXKP042788", "", "\xff", "00", "+"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if j, err := ParseJMBG(s); err == nil {
			if len(j.Number) != 13 || !j.DOB.Valid() || j.Sex == SexUnknown {
				t.Fatalf("ParseJMBG(%q) = %+v", s, j)
			}
		}
		if a, err := ParseAlbanianID(s); err == nil && (len(a.Number) != 10 || !a.DOB.Full()) {
			t.Fatalf("ParseAlbanianID(%q) = %+v", s, a)
		}
		p := ParsePersonalID(s)
		if p.Kind == IDUnknown && p.Number != "" {
			t.Fatalf("ParsePersonalID(%q) = %+v", s, p)
		}
		if n, err := NormalizeIBAN(s); err == nil {
			if n2, err2 := NormalizeIBAN(n); err2 != nil || n2 != n {
				t.Fatalf("IBAN not idempotent: %q", s)
			}
		}
		if e, err := NormalizePhone(s, "RS"); err == nil {
			if e[0] != '+' || len(e) > 16 {
				t.Fatalf("NormalizePhone(%q) = %q", s, e)
			}
			if e2, err2 := NormalizePhone(e, ""); err2 != nil || e2 != e {
				t.Fatalf("phone not idempotent: %q -> %q -> %q %v", s, e, e2, err2)
			}
		}
		if p, err := NormalizePlate(s); err == nil {
			if p2, _ := NormalizePlate(p); p2 != p {
				t.Fatalf("plate not idempotent: %q -> %q -> %q", s, p, p2)
			}
		}
		if v, err := NormalizeVIN(s); err == nil && len(v) != 17 {
			t.Fatalf("NormalizeVIN(%q) = %q", s, v)
		}
		_ = ParseSex(s)
		_ = ParseCountry(s)
	})
}
