package validate_test

import (
	"strings"
	"testing"

	"github.com/liaison-wb/liaison/internal/validate"
)

func TestJSONRefusesBadInputNamingTheField(t *testing.T) {
	for _, tc := range []struct{ body, loc, msg string }{
		{`{"name":"a","name":"b"}`, "body.name", "twice"},
		{`{"a":{"x":1,"x":2}}`, "body.a.x", "twice"},
		{`{"fields":{"family_name":"Marko\u0000vić"}}`, "body.fields.family_name", "NUL"},
		{"{\"fields\":{\"family_name\":\"Mar\xffko\"}}", "body.fields.family_name", "UTF-8"},
		{`{"fields":{"date_of_birth":"1980-02-31"}}`, "body.fields.date_of_birth", "not a real date"},
		{`{"fields":{"date_of_birth":"1980-13-45"}}`, "body.fields.date_of_birth", "not a real date"},
		{`{"closes_on":"31.02.2026"}`, "body.closes_on", "not a real date"},
		{`{"fields":{"full_name":"` + strings.Repeat("x", 1001) + `"}}`, "body.fields.full_name", "longer than"},
		{`{"content_type":"text/plain\r\nX-Evil: 1"}`, "body.content_type", "control characters"},
		{`{"rows":[{"fields":{"a":"1"}},{"fields":{"dob":"1980-02-30"}}]}`, "body.rows[1].fields.dob", "not a real date"},
		{`{} {}`, "body", "after the JSON value"},
	} {
		err := validate.JSON([]byte(tc.body), "body")
		if err == nil || err.Location != tc.loc || !strings.Contains(err.Msg, tc.msg) {
			t.Errorf("%s: got %+v, want %s %s", tc.body[:min(len(tc.body), 60)], err, tc.loc, tc.msg)
		}
	}
	for _, ok := range []string{`{"fields":{"date_of_birth":"1980-02-29","full_name":"Đorđe Čolić"}}`, `{"dob":"1980-00-00"}`, `[1,"a",{"b":[{"c":null}]}]`,
		`{"note":"line one\nline two","content_type":"image/png"}`, `{"a":{"x":1},"b":{"x":2}}`} {
		if err := validate.JSON([]byte(ok), "body"); err != nil {
			t.Errorf("%s refused: %v", ok, err)
		}
	}
}

// A search or check compares what it is given as written: an impossible
// date is a typo to match digit by digit, not a reason to refuse the query;
// every other rule still holds.
func TestQueryJSONAcceptsImpossibleDatesOnly(t *testing.T) {
	for _, ok := range []string{`{"fields":{"date_of_birth":"1980-02-31"}}`, `{"items":[{"fields":{"date_of_birth":"17.18.1955"}}]}`} {
		if err := validate.QueryJSON([]byte(ok), "body"); err != nil {
			t.Errorf("%s refused: %v", ok, err)
		}
		if err := validate.JSON([]byte(ok), "body"); err == nil {
			t.Errorf("%s accepted for storing", ok)
		}
	}
	for _, tc := range []struct{ body, msg string }{
		{`{"fields":{"family_name":"Marko\u0000vić"}}`, "NUL"},
		{`{"fields":{"full_name":"` + strings.Repeat("x", 1001) + `"}}`, "longer than"},
		{`{"a":1,"a":2}`, "twice"},
	} {
		if err := validate.QueryJSON([]byte(tc.body), "body"); err == nil || !strings.Contains(err.Msg, tc.msg) {
			t.Errorf("%s: got %v, want %s", tc.body[:min(len(tc.body), 40)], err, tc.msg)
		}
	}
	if m := validate.ProbeValue("date_of_birth", "1980-02-31"); m != "" {
		t.Errorf("probe value refused: %s", m)
	}
	if m := validate.FieldValue("date_of_birth", "1980-02-31"); m == "" {
		t.Error("stored value with an impossible date accepted")
	}
}
