package store

import (
	"encoding/json"
	"fmt"

	"github.com/liaison-wb/liaison/internal/errs"
)

// JSONText encodes a list or object kept in a TEXT column. A nil slice is
// stored as [] so readers never meet null.
func JSONText(v any) string {
	b, _ := json.Marshal(v)
	if string(b) == "null" {
		return "[]"
	}
	return string(b)
}

// JSONColumns decodes the JSON text columns of one row. It keeps the first
// column that cannot be read, so that the scan reports bad stored data as
// an error naming the row and column instead of returning an empty value.
// An empty column decodes to the zero value.
type JSONColumns struct {
	column string
	err    error
}

// Decode reads column's text into v.
func (j *JSONColumns) Decode(column, text string, v any) {
	if text == "" || j.err != nil {
		return
	}
	if err := json.Unmarshal([]byte(text), v); err != nil {
		j.column, j.err = column, err
	}
}

// Err is nil when every column was read; otherwise an internal error
// naming row (e.g. "thread 0193…") and the column, safe to log.
func (j *JSONColumns) Err(op, row string) error {
	if j.err == nil {
		return nil
	}
	return errs.Wrap(errs.Internal, op, fmt.Sprintf("stored data of %s cannot be read (column %s)", row, j.column), j.err)
}

// ParseJSON decodes column's text as a T through j.
func ParseJSON[T any](j *JSONColumns, column, text string) T {
	var v T
	j.Decode(column, text, &v)
	return v
}
