package textutil

import "strings"

// SpreadsheetSafe stops a spreadsheet from running a text cell of an
// exported CSV or XLSX file as a formula (CSV injection): a value that
// starts with =, +, -, @, a tab or a carriage return is prefixed with an
// apostrophe.
func SpreadsheetSafe(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}
