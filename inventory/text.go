package inventory

import (
	"strings"
	"unicode/utf8"
)

// CleanText repairs invalid UTF-8 (each bad byte becomes U+FFFD) and drops the characters that
// XML 1.0 forbids (control characters other than tab, line feed and carriage return, lone
// surrogates, U+FFFE and U+FFFF). Text that needs neither is returned as is, without copying.
func CleanText(s string) string {
	if cleanAlready(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if r == utf8.RuneError && size == 1 {
			b.WriteRune(utf8.RuneError)
			continue
		}
		if XMLChar(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func cleanAlready(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 {
			// Check the rest rune by rune.
			for _, r := range s[i:] {
				if r == utf8.RuneError || !XMLChar(r) {
					return false
				}
			}
			return true
		}
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
			return false
		}
	}
	return true
}

// XMLChar reports whether r may appear in an XML 1.0 document.
func XMLChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		(r >= 0x20 && r <= 0xD7FF) ||
		(r >= 0xE000 && r <= 0xFFFD) ||
		(r >= 0x10000 && r <= 0x10FFFF)
}
