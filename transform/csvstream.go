package transform

import (
	"bufio"
	"encoding/csv"
)

// csvStream writes RFC 4180 records (CRLF ends, strict quoting) through encoding/csv for every
// CSV and TSV writer; the first error sticks and is returned by close.
type csvStream struct {
	w   *csv.Writer
	bw  *bufio.Writer
	err error
}

// newCSVStream starts a table on bw, with a UTF-8 byte order mark first when bom is set; comma
// is the field separator (',' or '\t').
func newCSVStream(bw *bufio.Writer, bom bool, comma rune) *csvStream {
	c := &csvStream{w: csv.NewWriter(bw), bw: bw}
	c.w.UseCRLF = true
	c.w.Comma = comma
	if bom {
		_, c.err = bw.WriteString("\ufeff")
	}
	return c
}

// record writes one record. A record of one empty field is written as "" because encoding/csv
// would write an empty line, which readers skip, losing the row.
func (c *csvStream) record(rec []string) {
	if c.err != nil {
		return
	}
	if len(rec) != 1 || rec[0] != "" {
		c.err = c.w.Write(rec)
		return
	}
	c.w.Flush()
	if c.err = c.w.Error(); c.err == nil {
		_, c.err = c.bw.WriteString("\"\"\r\n")
	}
}

// close flushes the records to bw (not bw itself) and reports the first error.
func (c *csvStream) close() error {
	if c.err != nil {
		return c.err
	}
	c.w.Flush()
	return c.w.Error()
}
