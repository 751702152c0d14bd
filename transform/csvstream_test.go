package transform

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"reflect"
	"testing"
)

// A table of one column whose value is empty must keep its rows: encoding/csv alone would write
// empty lines, which every reader skips.
func TestCSVStreamKeepsSingleEmptyFieldRows(t *testing.T) {
	for _, comma := range []rune{',', '\t'} {
		var out bytes.Buffer
		bw := bufio.NewWriter(&out)
		cw := newCSVStream(bw, true, comma)
		for _, rec := range [][]string{{"Notes"}, {""}, {"a, \"b\""}, {""}} {
			cw.record(rec)
		}
		if err := cw.close(); err != nil {
			t.Fatal(err)
		}
		if err := bw.Flush(); err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(out.Bytes(), []byte("\ufeffNotes\r\n\"\"\r\n")) {
			t.Fatalf("%q: output %q", comma, out.String())
		}
		r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(out.Bytes(), []byte("\ufeff"))))
		r.Comma = comma
		got, err := r.ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		want := [][]string{{"Notes"}, {""}, {"a, \"b\""}, {""}}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: read back %q, want %q", comma, got, want)
		}
	}
}
