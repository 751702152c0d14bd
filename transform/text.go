package transform

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/feedgate/feedgate/inventory"
)

func sprintf(format string, args ...any) string {
	if len(args) == 0 {
		return format
	}
	return fmt.Sprintf(format, args...)
}

// Clean is inventory.CleanText: valid UTF-8 with no character XML 1.0 forbids. Every writer
// passes text through it, XML or not, so a feed never carries a NUL or a broken byte.
func Clean(s string) string { return inventory.CleanText(s) }

// Truncate shortens s to at most max characters (runes), cutting at the last word boundary
// that fits and never inside a character; trailing spaces and punctuation at the cut are
// trimmed. It reports whether it cut. A single word longer than max is cut at max.
func Truncate(s string, max int) (string, bool) {
	if max <= 0 {
		return "", s != ""
	}
	if utf8.RuneCountInString(s) <= max {
		return s, false
	}
	// Byte offset of the rune at index max.
	end, n := 0, 0
	for i := range s {
		if n == max {
			end = i
			break
		}
		n++
	}
	cut := s[:end]
	// If the cut falls inside a word, back up to the last space.
	next, _ := utf8.DecodeRuneInString(s[end:])
	if !unicode.IsSpace(next) {
		if i := strings.LastIndexFunc(cut, unicode.IsSpace); i > 0 {
			cut = cut[:i]
		}
	}
	cut = strings.TrimRightFunc(cut, func(r rune) bool {
		return unicode.IsSpace(r) || (unicode.IsPunct(r) && r != ')' && r != '"')
	})
	return cut, true
}

// Money formats a price with two decimals and its currency code: "28500.00 USD".
func Money(amount float64, currency string) string {
	return strconv.FormatFloat(amount, 'f', 2, 64) + " " + currency
}

// Whole formats a number without decimals or exponent: "18000".
func Whole(amount float64) string {
	return strconv.FormatFloat(amount, 'f', 0, 64)
}

// SpreadsheetSafe neutralises a cell that a spreadsheet would run as a formula (OWASP CSV
// injection): a value starting with =, +, -, @, tab or carriage return gets a leading
// apostrophe. Only exports meant for spreadsheets use it; machine-read feeds keep their values.
func SpreadsheetSafe(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

// OneLine folds line breaks and runs of white space into single spaces.
func OneLine(s string) string {
	if isOneLine(s) {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}

// isOneLine reports whether OneLine would return s unchanged: no white space at either end and
// none inside but single plain spaces. Most values are, and are then kept without copying.
func isOneLine(s string) bool {
	space := true // a leading space is not one-line
	for _, r := range s {
		if unicode.IsSpace(r) {
			if r != ' ' || space {
				return false
			}
			space = true
			continue
		}
		space = false
	}
	return s == "" || !space
}
